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
</context>
<context>
    <name>Tandem::Server::RoomServer</name>
    <message>
        <source>cannot listen on %1:%2: %3</source>
        <translation>kann nicht auf %1:%2 lauschen: %3</translation>
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
        <source>Port for teammates to connect to:</source>
        <translation>Port, über den sich Ihr Team verbindet:</translation>
    </message>
    <message>
        <source>Room name:</source>
        <translation>Raumname:</translation>
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
        <source>Teammates can join with:
%1</source>
        <translation>Ihr Team kann so beitreten:
%1</translation>
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
</context>
</TS>
