<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE" sourcelanguage="en">
<context>
    <name>Tandem::App</name>
    <message>
        <source>Reads or writes a note of a room without the window.

  tandem cat URL [--note TITLE | --text NAME]
  tandem export URL (--note TITLE | --text NAME) -o FILE
  tandem import URL FILE [--note TITLE | --text NAME]

Exit codes: 0 done, 1 local file error, 2 usage, 3 server unreachable or too slow, 4 no such note, 5 refused by the server.</source>
        <translation>Liest oder schreibt eine Notiz eines Raums ohne Fenster.

  tandem cat URL [--note TITLE | --text NAME]
  tandem export URL (--note TITLE | --text NAME) -o FILE
  tandem import URL FILE [--note TITLE | --text NAME]

Exit-Codes: 0 erledigt, 1 Fehler bei einer lokalen Datei, 2 falscher Aufruf, 3 Server nicht erreichbar oder zu langsam, 4 keine solche Notiz, 5 vom Server abgelehnt.</translation>
    </message>
    <message>
        <source>cat, export or import</source>
        <translation>cat, export oder import</translation>
    </message>
    <message>
        <source>The room, e.g. ws://host:1234/team</source>
        <translation>Der Raum, z. B. ws://host:1234/team</translation>
    </message>
    <message>
        <source>The note&apos;s title.</source>
        <translation>Der Titel der Notiz.</translation>
    </message>
    <message>
        <source>Plain mode: the room&apos;s root text of this name (rooms of Yjs demos use codemirror, quill or monaco).</source>
        <translation>Einfacher Modus: der Wurzeltext des Raums mit diesem Namen (Räume der Yjs-Demos verwenden codemirror, quill oder monaco).</translation>
    </message>
    <message>
        <source>export: the file to write.</source>
        <translation>export: die Zieldatei.</translation>
    </message>
    <message>
        <source>Seconds to wait for the server (default 15).</source>
        <translation>Wartezeit auf den Server in Sekunden (Standard: 15).</translation>
    </message>
    <message>
        <source>%1 needs a room URL such as ws://host:1234/room</source>
        <translation>%1 braucht eine Raum-URL wie ws://host:1234/room</translation>
    </message>
    <message>
        <source>--timeout needs a positive number of seconds</source>
        <translation>--timeout braucht eine positive Anzahl von Sekunden</translation>
    </message>
    <message>
        <source>--note and --text cannot be combined</source>
        <translation>--note und --text können nicht kombiniert werden</translation>
    </message>
    <message>
        <source>wrong number of arguments</source>
        <translation>falsche Anzahl von Argumenten</translation>
    </message>
    <message>
        <source>export needs --note TITLE (or --text NAME) and -o FILE</source>
        <translation>export braucht --note TITLE (oder --text NAME) und -o FILE</translation>
    </message>
    <message>
        <source>tandem: the server refused the connection: %1</source>
        <translation>tandem: Der Server hat die Verbindung abgelehnt: %1</translation>
    </message>
    <message>
        <source>tandem: %1 (see tandem %2 --help)</source>
        <translation>tandem: %1 (siehe tandem %2 --help)</translation>
    </message>
    <message>
        <source>tandem: could not sync with %1 within the timeout</source>
        <translation>tandem: Abgleich mit %1 innerhalb der Wartezeit nicht möglich</translation>
    </message>
    <message>
        <source>tandem: no note titled “%1” in %2</source>
        <translation>tandem: Keine Notiz mit dem Titel „%1“ in %2</translation>
    </message>
    <message>
        <source>tandem: cannot write %1: %2</source>
        <translation>tandem: %1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>tandem: cannot read %1: %2</source>
        <translation>tandem: %1 kann nicht gelesen werden: %2</translation>
    </message>
    <message>
        <source>tandem: %1 is not UTF-8 text</source>
        <translation>tandem: %1 ist kein UTF-8-Text</translation>
    </message>
    <message>
        <source>tandem: the server did not confirm the import to %1 within the timeout</source>
        <translation>tandem: Der Server hat den Import nach %1 nicht innerhalb der Wartezeit bestätigt</translation>
    </message>
    <message>
        <source>tandem: --host needs an IP address, got %1</source>
        <translation>tandem: --host braucht eine IP-Adresse, erhalten: %1</translation>
    </message>
    <message>
        <source>tandem: --port needs a number from 0 to 65535</source>
        <translation>tandem: --port braucht eine Zahl von 0 bis 65535</translation>
    </message>
    <message>
        <source>tandem: --max-message-bytes needs a number of at least 1024</source>
        <translation>tandem: --max-message-bytes braucht eine Zahl von mindestens 1024</translation>
    </message>
    <message>
        <source>tandem: --batch-ms needs a number from 0 to 1000</source>
        <translation>tandem: --batch-ms braucht eine Zahl von 0 bis 1000</translation>
    </message>
    <message>
        <source>tandem: cannot create the data directory %1</source>
        <translation>tandem: Das Datenverzeichnis %1 kann nicht angelegt werden</translation>
    </message>
    <message>
        <source>tandem: --redis needs host:port, got %1</source>
        <translation>tandem: --redis braucht host:port, erhalten: %1</translation>
    </message>
    <message>
        <source>Issues, lists and revokes access tokens of a server&apos;s store.

  tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url URL]
  tandem token list
  tandem token revoke ID

Each takes the server&apos;s --data-dir DIR or --store postgres://… (as tandem --serve). ROOM * makes a token for every room.

Exit codes: 0 done, 1 the store cannot be used, 2 usage, 4 no such token.</source>
        <translation>Stellt Zugangstoken im Speicher eines Servers aus, listet sie auf und widerruft sie.

  tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url URL]
  tandem token list
  tandem token revoke ID

Jeder Befehl braucht das --data-dir DIR oder --store postgres://… des Servers (wie bei tandem --serve). ROOM * erstellt ein Token für jeden Raum.

Exit-Codes: 0 erledigt, 1 Speicher nicht nutzbar, 2 falscher Aufruf, 4 kein solches Token.</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>issue, list or revoke</source>
        <translation>issue, list oder revoke</translation>
    </message>
    <message>
        <source>issue: the room (* for every room); revoke: the token id</source>
        <translation>issue: der Raum (* für jeden Raum); revoke: die Token-ID</translation>
    </message>
    <message>
        <source>issue: read-only access.</source>
        <translation>issue: nur Lesezugriff.</translation>
    </message>
    <message>
        <source>issue: days until the token expires (default 30; 0 = never).</source>
        <translation>issue: Tage bis zum Ablauf des Tokens (Standard: 30; 0 = nie).</translation>
    </message>
    <message>
        <source>issue: a note for the list, e.g. who the token is for.</source>
        <translation>issue: ein Vermerk für die Liste, z. B. für wen das Token ist.</translation>
    </message>
    <message>
        <source>issue: the server&apos;s address, to print an invite link (e.g. ws://host:1234).</source>
        <translation>issue: die Adresse des Servers, um einen Einladungslink auszugeben (z. B. ws://host:1234).</translation>
    </message>
    <message>
        <source>tandem: %1 (see tandem token --help)</source>
        <translation>tandem: %1 (siehe tandem token --help)</translation>
    </message>
    <message>
        <source>token needs issue, list or revoke</source>
        <translation>token braucht issue, list oder revoke</translation>
    </message>
    <message>
        <source>--store and --data-dir cannot be combined</source>
        <translation>--store und --data-dir können nicht kombiniert werden</translation>
    </message>
    <message>
        <source>--days needs a number from 0 (never expires) to 36500</source>
        <translation>--days braucht eine Zahl von 0 (läuft nie ab) bis 36500</translation>
    </message>
    <message>
        <source>--url needs the server&apos;s address such as ws://host:1234</source>
        <translation>--url braucht die Adresse des Servers wie ws://host:1234</translation>
    </message>
    <message>
        <source>not a room name: %1</source>
        <translation>kein Raumname: %1</translation>
    </message>
    <message>
        <source>Token id: %1</source>
        <translation>Token-ID: %1</translation>
    </message>
    <message>
        <source>read only</source>
        <translation>nur lesen</translation>
    </message>
    <message>
        <source>read and write</source>
        <translation>lesen und schreiben</translation>
    </message>
    <message>
        <source>never expires</source>
        <translation>läuft nie ab</translation>
    </message>
    <message>
        <source>expires %1</source>
        <translation>gültig bis %1</translation>
    </message>
    <message>
        <source>Every room, %1, %2.</source>
        <translation>Jeder Raum, %1, %2.</translation>
    </message>
    <message>
        <source>Room %1, %2, %3.</source>
        <translation>Raum %1, %2, %3.</translation>
    </message>
    <message>
        <source>Replace &lt;room&gt; in the link with the name of a room.</source>
        <translation>Ersetzen Sie &lt;room&gt; im Link durch den Namen eines Raums.</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>Speicher: %1</translation>
    </message>
    <message>
        <source>tandem: no such token: %1</source>
        <translation>tandem: Kein solches Token: %1</translation>
    </message>
    <message>
        <source>Revoked token %1: servers using this store refuse it within seconds.</source>
        <translation>Token %1 widerrufen: Server, die diesen Speicher nutzen, lehnen es innerhalb von Sekunden ab.</translation>
    </message>
    <message>
        <source>No tokens in %1.</source>
        <translation>Keine Token in %1.</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>ROOM</source>
        <translation>RAUM</translation>
    </message>
    <message>
        <source>ACCESS</source>
        <translation>ZUGRIFF</translation>
    </message>
    <message>
        <source>EXPIRES</source>
        <translation>ABLAUF</translation>
    </message>
    <message>
        <source>LABEL</source>
        <translation>VERMERK</translation>
    </message>
    <message>
        <source>REVOKED</source>
        <translation>WIDERRUFEN</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <source>%1 (expired)</source>
        <translation>%1 (abgelaufen)</translation>
    </message>
    <message>
        <source>read</source>
        <translation>lesen</translation>
    </message>
    <message>
        <source>write</source>
        <translation>schreiben</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <source>tandem: --cert-days needs a number of days</source>
        <translation>tandem: --cert-days braucht eine Anzahl von Tagen</translation>
    </message>
    <message>
        <source>tandem: --%1 needs a number (0 for no limit)</source>
        <translation>tandem: --%1 braucht eine Zahl (0 für unbegrenzt)</translation>
    </message>
    <message>
        <source>tandem: --invite-room needs a room name</source>
        <translation>tandem: --invite-room braucht einen Raumnamen</translation>
    </message>
    <message>
        <source>tandem: --cert and --key go together</source>
        <translation>tandem: --cert und --key gehören zusammen</translation>
    </message>
    <message>
        <source>The server&apos;s data directory (its rooms.sqlite).</source>
        <translation>Das Datenverzeichnis des Servers (seine rooms.sqlite).</translation>
    </message>
    <message>
        <source>The server&apos;s PostgreSQL store instead (postgres://user:password@host:port/db).</source>
        <translation>Stattdessen der PostgreSQL-Speicher des Servers (postgres://benutzer:passwort@host:port/db).</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::Identity</name>
    <message>
        <source>Guest</source>
        <translation>Gast</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::PresenceModel</name>
    <message>
        <source>typing</source>
        <translation>tippt</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inaktiv</translation>
    </message>
    <message>
        <source>away</source>
        <translation>abwesend</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>%1 (you), %2</source>
        <translation>%1 (Sie), %2</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1, %2</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::Session</name>
    <message>
        <source>the local copy of %1 is damaged: %2</source>
        <translation>die lokale Kopie von %1 ist beschädigt: %2</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::Transport</name>
    <message>
        <source>the server did not answer in time</source>
        <translation>der Server hat nicht rechtzeitig geantwortet</translation>
    </message>
    <message>
        <source>the connection went silent</source>
        <translation>die Verbindung reagiert nicht mehr</translation>
    </message>
    <message>
        <source>the server closed the connection (code %1)</source>
        <translation>der Server hat die Verbindung geschlossen (Code %1)</translation>
    </message>
    <message>
        <source>The server&apos;s certificate is not trusted yet (SHA-256 fingerprint %1)</source>
        <translation>Dem Zertifikat des Servers wird noch nicht vertraut (SHA-256-Fingerabdruck %1)</translation>
    </message>
    <message>
        <source>The server&apos;s certificate changed since you last connected: this may be someone intercepting the connection. Not connecting. (Known SHA-256 fingerprint %1, now %2)</source>
        <translation>Das Zertifikat des Servers hat sich seit Ihrer letzten Verbindung geändert: Möglicherweise fängt jemand die Verbindung ab. Es wird keine Verbindung hergestellt. (Bekannter SHA-256-Fingerabdruck %1, jetzt %2)</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::RoomServer</name>
    <message>
        <source>cannot listen on %1:%2: %3</source>
        <translation>kann nicht auf %1:%2 lauschen: %3</translation>
    </message>
    <message>
        <source>TLS needs both a certificate and a private key file</source>
        <translation>TLS braucht sowohl eine Zertifikatsdatei als auch eine Datei mit dem privaten Schlüssel</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::TlsContext</name>
    <message>
        <source>cannot read the certificate file %1: %2</source>
        <translation>kann die Zertifikatsdatei %1 nicht lesen: %2</translation>
    </message>
    <message>
        <source>cannot read the private key file %1: %2</source>
        <translation>kann die Schlüsseldatei %1 nicht lesen: %2</translation>
    </message>
    <message>
        <source>%1 holds no PEM certificate (%2)</source>
        <translation>%1 enthält kein PEM-Zertifikat (%2)</translation>
    </message>
    <message>
        <source>%1 holds no unencrypted PEM private key (%2)</source>
        <translation>%1 enthält keinen unverschlüsselten privaten PEM-Schlüssel (%2)</translation>
    </message>
    <message>
        <source>cannot set up TLS: %1</source>
        <translation>TLS kann nicht eingerichtet werden: %1</translation>
    </message>
    <message>
        <source>cannot use the certificate in %1: %2</source>
        <translation>das Zertifikat in %1 kann nicht verwendet werden: %2</translation>
    </message>
    <message>
        <source>cannot use the certificate chain in %1: %2</source>
        <translation>die Zertifikatskette in %1 kann nicht verwendet werden: %2</translation>
    </message>
    <message>
        <source>the private key in %1 does not belong to the certificate in %2</source>
        <translation>der private Schlüssel in %1 gehört nicht zum Zertifikat in %2</translation>
    </message>
    <message>
        <source>cannot compute the certificate&apos;s fingerprint: %1</source>
        <translation>der Fingerabdruck des Zertifikats kann nicht berechnet werden: %1</translation>
    </message>
    <message>
        <source>cannot make a certificate: %1 (%2)</source>
        <translation>es kann kein Zertifikat erstellt werden: %1 (%2)</translation>
    </message>
    <message>
        <source>cannot make a certificate without host names or validity</source>
        <translation>ohne Hostnamen oder Gültigkeitsdauer kann kein Zertifikat erstellt werden</translation>
    </message>
    <message>
        <source>cannot make a certificate for %1: not a host name</source>
        <translation>für %1 kann kein Zertifikat erstellt werden: kein Hostname</translation>
    </message>
    <message>
        <source>cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>this build of Tandem has no TLS support (OpenSSL)</source>
        <translation>diese Tandem-Version unterstützt kein TLS (OpenSSL)</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::FindBar</name>
    <message>
        <source>Find and replace</source>
        <translation>Suchen und Ersetzen</translation>
    </message>
    <message>
        <source>Find in this note</source>
        <translation>In dieser Notiz suchen</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <source>&amp;Previous</source>
        <translation>&amp;Vorheriges</translation>
    </message>
    <message>
        <source>Ne&amp;xt</source>
        <translation>&amp;Nächstes</translation>
    </message>
    <message>
        <source>Close (Esc)</source>
        <translation>Schließen (Esc)</translation>
    </message>
    <message>
        <source>Close find and replace</source>
        <translation>Suchen und Ersetzen schließen</translation>
    </message>
    <message>
        <source>Replace with</source>
        <translation>Ersetzen durch</translation>
    </message>
    <message>
        <source>&amp;Replace</source>
        <translation>&amp;Ersetzen</translation>
    </message>
    <message>
        <source>Replace &amp;All</source>
        <translation>&amp;Alle ersetzen</translation>
    </message>
    <message>
        <source>Wrapped around</source>
        <translation>Am Anfang fortgesetzt</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>Nicht gefunden</translation>
    </message>
    <message numerus="yes">
        <source>Replaced: %n</source>
        <translation>
            <numerusform>Ersetzt: %n</numerusform>
            <numerusform>Ersetzt: %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::MainWindow</name>
    <message>
        <source>Tandem</source>
        <translation>Tandem</translation>
    </message>
    <message>
        <source>Filter notes</source>
        <translation>Notizen filtern</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notizen</translation>
    </message>
    <message>
        <source>Join a room and pick or create a note to start writing.</source>
        <translation>Treten Sie einem Raum bei und wählen oder erstellen Sie eine Notiz, um loszuschreiben.</translation>
    </message>
    <message>
        <source>Who is typing</source>
        <translation>Wer gerade tippt</translation>
    </message>
    <message>
        <source>People in this room</source>
        <translation>Personen in diesem Raum</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Changes not yet on the server</source>
        <translation>Änderungen, die noch nicht auf dem Server sind</translation>
    </message>
    <message>
        <source>Round-trip time</source>
        <translation>Paketumlaufzeit</translation>
    </message>
    <message>
        <source>Room address</source>
        <translation>Raumadresse</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Copy the room&apos;s address to share it</source>
        <translation>Die Adresse des Raums kopieren, um sie weiterzugeben</translation>
    </message>
    <message>
        <source>Copy room address</source>
        <translation>Raumadresse kopieren</translation>
    </message>
    <message>
        <source>&amp;Room</source>
        <translation>&amp;Raum</translation>
    </message>
    <message>
        <source>&amp;Join a Room…</source>
        <translation>Raum bei&amp;treten…</translation>
    </message>
    <message>
        <source>&amp;Host a Room…</source>
        <translation>Raum bereit&amp;stellen…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Note</source>
        <translation>&amp;Notiz</translation>
    </message>
    <message>
        <source>&amp;New Note…</source>
        <translation>&amp;Neue Notiz…</translation>
    </message>
    <message>
        <source>New Note</source>
        <translation>Neue Notiz</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>Titel:</translation>
    </message>
    <message>
        <source>&amp;Rename…</source>
        <translation>&amp;Umbenennen…</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Löschen</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>&amp;Importieren…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>&amp;Exportieren…</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Rückgängig</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Wiederherstellen</translation>
    </message>
    <message>
        <source>&amp;Find and Replace…</source>
        <translation>&amp;Suchen und Ersetzen…</translation>
    </message>
    <message>
        <source>Filter &amp;Notes</source>
        <translation>&amp;Notizen filtern</translation>
    </message>
    <message>
        <source>%1 – Tandem</source>
        <translation>%1 – Tandem</translation>
    </message>
    <message>
        <source>(untitled)</source>
        <translation>(ohne Titel)</translation>
    </message>
    <message>
        <source>Created by %1</source>
        <translation>Erstellt von %1</translation>
    </message>
    <message>
        <source>This note was deleted.</source>
        <translation>Diese Notiz wurde gelöscht.</translation>
    </message>
    <message>
        <source>%1 joined</source>
        <translation>%1 ist beigetreten</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>%1 hat den Raum verlassen</translation>
    </message>
    <message>
        <source>Not in a room: Room ▸ Join a Room… or Host a Room…</source>
        <translation>In keinem Raum: Raum ▸ Raum beitreten… oder Raum bereitstellen…</translation>
    </message>
    <message>
        <source>Disconnected: working offline</source>
        <translation>Getrennt: Es wird offline gearbeitet</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbindung wird hergestellt…</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Wird synchronisiert…</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Verbunden</translation>
    </message>
    <message>
        <source>Refused by the server: %1. Your changes are kept on this computer.</source>
        <translation>Vom Server abgelehnt: %1. Ihre Änderungen bleiben auf diesem Computer erhalten.</translation>
    </message>
    <message>
        <source>All changes saved on the server</source>
        <translation>Alle Änderungen auf dem Server gespeichert</translation>
    </message>
    <message numerus="yes">
        <source>Changes not yet on the server: %n</source>
        <translation>
            <numerusform>%n Änderung noch nicht auf dem Server</numerusform>
            <numerusform>%n Änderungen noch nicht auf dem Server</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Join a Room</source>
        <translation>Raum beitreten</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>Ihr Name</translation>
    </message>
    <message>
        <source>Your colour</source>
        <translation>Ihre Farbe</translation>
    </message>
    <message>
        <source>&amp;Room address:</source>
        <translation>&amp;Raumadresse:</translation>
    </message>
    <message>
        <source>Your &amp;name:</source>
        <translation>Ihr &amp;Name:</translation>
    </message>
    <message>
        <source>Your &amp;colour:</source>
        <translation>Ihre &amp;Farbe:</translation>
    </message>
    <message>
        <source>Cannot open the room</source>
        <translation>Der Raum kann nicht geöffnet werden</translation>
    </message>
    <message>
        <source>Host a Room</source>
        <translation>Raum bereitstellen</translation>
    </message>
    <message>
        <source>Cannot host the room</source>
        <translation>Der Raum kann nicht bereitgestellt werden</translation>
    </message>
    <message>
        <source>Room hosted</source>
        <translation>Raum bereitgestellt</translation>
    </message>
    <message>
        <source>Rename Note</source>
        <translation>Notiz umbenennen</translation>
    </message>
    <message>
        <source>Delete Note</source>
        <translation>Notiz löschen</translation>
    </message>
    <message>
        <source>Delete “%1” for everyone in this room?</source>
        <translation>„%1“ für alle in diesem Raum löschen?</translation>
    </message>
    <message>
        <source>Import a Note</source>
        <translation>Notiz importieren</translation>
    </message>
    <message>
        <source>Text and Markdown (*.txt *.md);;All files (*)</source>
        <translation>Text und Markdown (*.txt *.md);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Cannot import</source>
        <translation>Import nicht möglich</translation>
    </message>
    <message>
        <source>Export the Note</source>
        <translation>Notiz exportieren</translation>
    </message>
    <message>
        <source>Cannot export</source>
        <translation>Export nicht möglich</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>Go to &amp;Notes</source>
        <translation>Zu den &amp;Notizen</translation>
    </message>
    <message>
        <source>Go to the &amp;Editor</source>
        <translation>Zum &amp;Editor</translation>
    </message>
    <message>
        <source>Go to &amp;People</source>
        <translation>Zu den &amp;Personen</translation>
    </message>
    <message numerus="yes">
        <source>Offline: working offline, retrying in %n s</source>
        <translation>
            <numerusform>Offline: Es wird offline gearbeitet, neuer Versuch in %n s</numerusform>
            <numerusform>Offline: Es wird offline gearbeitet, neuer Versuch in %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>F&amp;ind…</source>
        <translation>Su&amp;chen…</translation>
    </message>
    <message>
        <source>Unknown certificate</source>
        <translation>Unbekanntes Zertifikat</translation>
    </message>
    <message>
        <source>&lt;p&gt;The server &lt;b&gt;%1&lt;/b&gt; uses a certificate that is not signed by an authority this computer trusts (a self-signed certificate, as Tandem makes).&lt;/p&gt;&lt;p&gt;Compare its SHA-256 fingerprint with the one the host sees (ask them over another channel):&lt;/p&gt;%2</source>
        <translation>&lt;p&gt;Der Server &lt;b&gt;%1&lt;/b&gt; verwendet ein Zertifikat, das nicht von einer Stelle signiert ist, der dieser Computer vertraut (ein selbstsigniertes Zertifikat, wie Tandem es erstellt).&lt;/p&gt;&lt;p&gt;Vergleichen Sie seinen SHA-256-Fingerabdruck mit dem, den die Person sieht, die den Raum bereitstellt (fragen Sie sie über einen anderen Kanal):&lt;/p&gt;%2</translation>
    </message>
    <message>
        <source>Trust and connect</source>
        <translation>Vertrauen und verbinden</translation>
    </message>
    <message>
        <source>The server&apos;s certificate changed</source>
        <translation>Das Zertifikat des Servers hat sich geändert</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;The certificate of %1 is not the one you trusted before.&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Someone may be intercepting the connection, or the host made a new certificate. Tandem did not connect. Ask the host which fingerprint their server has now.&lt;/p&gt;&lt;p&gt;Trusted before:&lt;/p&gt;%2&lt;p&gt;Now:&lt;/p&gt;%3</source>
        <translation>&lt;p&gt;&lt;b&gt;Das Zertifikat von %1 ist nicht das, dem Sie zuvor vertraut haben.&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Möglicherweise fängt jemand die Verbindung ab, oder die Person, die den Raum bereitstellt, hat ein neues Zertifikat erstellt. Tandem hat keine Verbindung hergestellt. Fragen Sie sie, welchen Fingerabdruck ihr Server jetzt hat.&lt;/p&gt;&lt;p&gt;Bisher vertraut:&lt;/p&gt;%2&lt;p&gt;Jetzt:&lt;/p&gt;%3</translation>
    </message>
    <message>
        <source>Trust the new certificate</source>
        <translation>Dem neuen Zertifikat vertrauen</translation>
    </message>
    <message>
        <source>Connected, read-only: you can read along but not change notes</source>
        <translation>Verbunden, nur lesen: Sie können mitlesen, aber keine Notizen ändern</translation>
    </message>
    <message>
        <source>Not connected: %1. Your changes are kept on this computer.</source>
        <translation>Nicht verbunden: %1. Ihre Änderungen bleiben auf diesem Computer erhalten.</translation>
    </message>
    <message>
        <source>Port for teammates to connect to</source>
        <translation>Port, mit dem sich Teammitglieder verbinden</translation>
    </message>
    <message>
        <source>Room name</source>
        <translation>Raumname</translation>
    </message>
    <message>
        <source>&amp;Encrypt (wss://)</source>
        <translation>&amp;Verschlüsseln (wss://)</translation>
    </message>
    <message>
        <source>Teammates connect over TLS. The certificate is self-signed: the first time, they compare its fingerprint with the one shown here.</source>
        <translation>Teammitglieder verbinden sich über TLS. Das Zertifikat ist selbstsigniert: Beim ersten Mal vergleichen sie seinen Fingerabdruck mit dem hier angezeigten.</translation>
    </message>
    <message>
        <source>&amp;Port for teammates to connect to:</source>
        <translation>&amp;Port, mit dem sich Teammitglieder verbinden:</translation>
    </message>
    <message>
        <source>&amp;Room name:</source>
        <translation>&amp;Raumname:</translation>
    </message>
    <message>
        <source>Only people with a link can join. The links are valid for 30 days.</source>
        <translation>Nur Personen mit einem Link können beitreten. Die Links sind 30 Tage gültig.</translation>
    </message>
    <message>
        <source>Copy: %1</source>
        <translation>Kopieren: %1</translation>
    </message>
    <message>
        <source>For teammates who may &amp;edit:</source>
        <translation>Für Teammitglieder, die &amp;bearbeiten dürfen:</translation>
    </message>
    <message>
        <source>For guests who may only &amp;read:</source>
        <translation>Für Gäste, die nur &amp;lesen dürfen:</translation>
    </message>
    <message>
        <source>&lt;p&gt;The certificate&apos;s SHA-256 fingerprint, for them to compare when Tandem asks:&lt;/p&gt;%1</source>
        <translation>&lt;p&gt;Der SHA-256-Fingerabdruck des Zertifikats, zum Vergleichen, wenn Tandem danach fragt:&lt;/p&gt;%1</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::People</name>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 tippt…</translation>
    </message>
    <message>
        <source>%1 and %2 are typing…</source>
        <translation>%1 und %2 tippen…</translation>
    </message>
    <message numerus="yes">
        <source>%n people are typing…</source>
        <translation>
            <numerusform>%n Person tippt…</numerusform>
            <numerusform>%n Personen tippen…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::PeopleDelegate</name>
    <message>
        <source>typing…</source>
        <translation>tippt…</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inaktiv</translation>
    </message>
    <message>
        <source>away</source>
        <translation>abwesend</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>%1 (you), %2</source>
        <translation>%1 (Sie), %2</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1, %2</translation>
    </message>
    <message>
        <source>%1 (you)</source>
        <translation>%1 (Sie)</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::SharedEditor</name>
    <message>
        <source>Note</source>
        <translation>Notiz</translation>
    </message>
    <message>
        <source>The shared text of the selected note</source>
        <translation>Der gemeinsame Text der ausgewählten Notiz</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Real-time collaborative notes.</source>
        <translation>Gemeinsame Notizen in Echtzeit.</translation>
    </message>
    <message>
        <source>A room to open, e.g. ws://host:1234/notes</source>
        <translation>Ein zu öffnender Raum, z. B. ws://host:1234/notes</translation>
    </message>
    <message>
        <source>Open the room&apos;s root text of this name (rooms of Yjs demos) instead of its notes.</source>
        <translation>Den Wurzeltext des Raums mit diesem Namen öffnen (Räume der Yjs-Demos) statt seiner Notizen.</translation>
    </message>
    <message>
        <source>Tandem</source>
        <translation>Tandem</translation>
    </message>
    <message>
        <source>Cannot open the local store: %1</source>
        <translation>Der lokale Speicher kann nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <source>Host rooms without a window.</source>
        <translation>Räume ohne Fenster bereitstellen.</translation>
    </message>
    <message>
        <source>Address to listen on (default 127.0.0.1).</source>
        <translation>Adresse, an der auf Verbindungen gewartet wird (Standard: 127.0.0.1).</translation>
    </message>
    <message>
        <source>Port to listen on (default 1234, 0 picks one).</source>
        <translation>Port, an dem auf Verbindungen gewartet wird (Standard: 1234, 0 wählt einen freien).</translation>
    </message>
    <message>
        <source>Where rooms are stored.</source>
        <translation>Wo die Räume gespeichert werden.</translation>
    </message>
    <message>
        <source>Largest message a client may send (default 16 MiB).</source>
        <translation>Größte Nachricht, die ein Client senden darf (Standard: 16 MiB).</translation>
    </message>
    <message>
        <source>Hold updates up to this long to send them in batches: less CPU in busy rooms, more latency (default 0).</source>
        <translation>Änderungen bis zu dieser Dauer zurückhalten, um sie gebündelt zu senden: weniger CPU-Last in belebten Räumen, mehr Latenz (Standard: 0).</translation>
    </message>
    <message>
        <source>Language of the interface: de, en, es or fr (default: the system&apos;s).</source>
        <translation>Sprache der Oberfläche: de, en, es oder fr (Standard: die des Systems).</translation>
    </message>
    <message>
        <source>Keep rooms in PostgreSQL instead of the data directory&apos;s SQLite file (postgres://user:password@host:port/db); several servers can share it.</source>
        <translation>Räume in PostgreSQL statt in der SQLite-Datei des Datenverzeichnisses halten (postgres://benutzer:passwort@host:port/db); mehrere Server können sie teilen.</translation>
    </message>
    <message>
        <source>Share rooms with other servers through Redis at host:port (with --store postgres://… for one store).</source>
        <translation>Räume über Redis unter host:port mit anderen Servern teilen (mit --store postgres://… für einen gemeinsamen Speicher).</translation>
    </message>
    <message>
        <source>Serve wss:// (TLS) with this PEM certificate chain (with --key).</source>
        <translation>wss:// (TLS) mit dieser PEM-Zertifikatskette anbieten (mit --key).</translation>
    </message>
    <message>
        <source>The PEM private key of --cert (unencrypted).</source>
        <translation>Der private PEM-Schlüssel zu --cert (unverschlüsselt).</translation>
    </message>
    <message>
        <source>With --serve: write a self-signed certificate and key (cert.pem, key.pem) into this directory, print its fingerprint and exit.</source>
        <translation>Mit --serve: ein selbstsigniertes Zertifikat samt Schlüssel (cert.pem, key.pem) in dieses Verzeichnis schreiben, seinen Fingerabdruck ausgeben und beenden.</translation>
    </message>
    <message>
        <source>A host name or IP address the generated certificate is for (repeatable; default: this machine&apos;s names and addresses).</source>
        <translation>Ein Hostname oder eine IP-Adresse für das erzeugte Zertifikat (wiederholbar; Standard: die Namen und Adressen dieses Rechners).</translation>
    </message>
    <message>
        <source>How long the generated certificate is valid (default 825).</source>
        <translation>Gültigkeitsdauer des erzeugten Zertifikats (Standard: 825).</translation>
    </message>
    <message>
        <source>Admit only clients whose link carries an access token (see `tandem token`); prints an invite link at start.</source>
        <translation>Nur Clients zulassen, deren Link ein Zugangstoken enthält (siehe `tandem token`); gibt beim Start einen Einladungslink aus.</translation>
    </message>
    <message>
        <source>Room of the invite link printed with --require-token (default notes).</source>
        <translation>Raum des mit --require-token ausgegebenen Einladungslinks (Standard: notes).</translation>
    </message>
    <message>
        <source>Connections one address may hold (0: no limit; default 64).</source>
        <translation>Verbindungen, die eine Adresse halten darf (0: unbegrenzt; Standard: 64).</translation>
    </message>
    <message>
        <source>Messages per second a connection may send on average (bursts of ten times as many pass; 0: no limit; default 200).</source>
        <translation>Nachrichten pro Sekunde, die eine Verbindung im Mittel senden darf (Spitzen bis zum Zehnfachen gehen durch; 0: unbegrenzt; Standard: 200).</translation>
    </message>
    <message>
        <source>Bytes per second a connection may send on average, past a burst of 32 MiB (0: no limit; default 1 MiB).</source>
        <translation>Bytes pro Sekunde, die eine Verbindung nach einer Spitze von 32 MiB im Mittel senden darf (0: unbegrenzt; Standard: 1 MiB).</translation>
    </message>
    <message>
        <source>Rooms open at once (0: no limit; default 10000).</source>
        <translation>Gleichzeitig geöffnete Räume (0: unbegrenzt; Standard: 10000).</translation>
    </message>
    <message>
        <source>Stored size one room may reach (0: no limit; default 64 MiB).</source>
        <translation>Gespeicherte Größe, die ein Raum erreichen darf (0: unbegrenzt; Standard: 64 MiB).</translation>
    </message>
    <message>
        <source>Memory for open rooms, estimated at ten times their stored size (0: no limit; default 2 GiB); beyond it idle rooms close and growth is refused.</source>
        <translation>Arbeitsspeicher für geöffnete Räume, geschätzt auf das Zehnfache ihrer gespeicherten Größe (0: unbegrenzt; Standard: 2 GiB); darüber hinaus werden inaktive Räume geschlossen und weiteres Wachstum abgelehnt.</translation>
    </message>
</context>
</TS>
