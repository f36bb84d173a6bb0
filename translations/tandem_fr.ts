<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR" sourcelanguage="en">
<context>
    <name>Tandem::App</name>
    <message>
        <source>Reads or writes a note of a room without the window.

  tandem cat URL [--note TITLE | --text NAME]
  tandem export URL (--note TITLE | --text NAME) -o FILE
  tandem import URL FILE [--note TITLE | --text NAME]

Exit codes: 0 done, 1 local file error, 2 usage, 3 server unreachable or too slow, 4 no such note, 5 refused by the server.</source>
        <translation>Lit ou écrit une note d’un salon sans ouvrir de fenêtre.

  tandem cat URL [--note TITLE | --text NAME]
  tandem export URL (--note TITLE | --text NAME) -o FILE
  tandem import URL FILE [--note TITLE | --text NAME]

Codes de sortie&#xa0;: 0 terminé, 1 erreur de fichier local, 2 utilisation incorrecte, 3 serveur injoignable ou trop lent, 4 note introuvable, 5 refusé par le serveur.</translation>
    </message>
    <message>
        <source>cat, export or import</source>
        <translation>cat, export ou import</translation>
    </message>
    <message>
        <source>The room, e.g. ws://host:1234/team</source>
        <translation>Le salon, p. ex. ws://host:1234/team</translation>
    </message>
    <message>
        <source>The note&apos;s title.</source>
        <translation>Le titre de la note.</translation>
    </message>
    <message>
        <source>Plain mode: the room&apos;s root text of this name (rooms of Yjs demos use codemirror, quill or monaco).</source>
        <translation>Mode simple&#xa0;: le texte racine du salon portant ce nom (les salons des démos Yjs utilisent codemirror, quill ou monaco).</translation>
    </message>
    <message>
        <source>export: the file to write.</source>
        <translation>export&#xa0;: le fichier de destination.</translation>
    </message>
    <message>
        <source>Seconds to wait for the server (default 15).</source>
        <translation>Délai d’attente du serveur en secondes (15 par défaut).</translation>
    </message>
    <message>
        <source>%1 needs a room URL such as ws://host:1234/room</source>
        <translation>%1 nécessite l’URL d’un salon, comme ws://host:1234/room</translation>
    </message>
    <message>
        <source>--timeout needs a positive number of seconds</source>
        <translation>--timeout nécessite un nombre de secondes positif</translation>
    </message>
    <message>
        <source>--note and --text cannot be combined</source>
        <translation>--note et --text ne peuvent pas être combinés</translation>
    </message>
    <message>
        <source>wrong number of arguments</source>
        <translation>nombre d’arguments incorrect</translation>
    </message>
    <message>
        <source>export needs --note TITLE (or --text NAME) and -o FILE</source>
        <translation>export nécessite --note TITLE (ou --text NAME) et -o FILE</translation>
    </message>
    <message>
        <source>tandem: the server refused the connection: %1</source>
        <translation>tandem&#xa0;: le serveur a refusé la connexion&#xa0;: %1</translation>
    </message>
    <message>
        <source>tandem: %1 (see tandem %2 --help)</source>
        <translation>tandem&#xa0;: %1 (voir tandem %2 --help)</translation>
    </message>
    <message>
        <source>tandem: could not sync with %1 within the timeout</source>
        <translation>tandem&#xa0;: impossible de se synchroniser avec %1 dans le délai imparti</translation>
    </message>
    <message>
        <source>tandem: no note titled “%1” in %2</source>
        <translation>tandem&#xa0;: aucune note intitulée «&#xa0;%1&#xa0;» dans %2</translation>
    </message>
    <message>
        <source>tandem: cannot write %1: %2</source>
        <translation>tandem&#xa0;: impossible d’écrire %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>tandem: cannot read %1: %2</source>
        <translation>tandem&#xa0;: impossible de lire %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>tandem: %1 is not UTF-8 text</source>
        <translation>tandem&#xa0;: %1 n’est pas un texte UTF-8</translation>
    </message>
    <message>
        <source>tandem: the server did not confirm the import to %1 within the timeout</source>
        <translation>tandem&#xa0;: le serveur n’a pas confirmé l’importation vers %1 dans le délai imparti</translation>
    </message>
    <message>
        <source>tandem: --host needs an IP address, got %1</source>
        <translation>tandem&#xa0;: --host attend une adresse IP, reçu&#xa0;: %1</translation>
    </message>
    <message>
        <source>tandem: --port needs a number from 0 to 65535</source>
        <translation>tandem&#xa0;: --port attend un nombre de 0 à 65535</translation>
    </message>
    <message>
        <source>tandem: --max-message-bytes needs a number of at least 1024</source>
        <translation>tandem&#xa0;: --max-message-bytes attend un nombre d’au moins 1024</translation>
    </message>
    <message>
        <source>tandem: --batch-ms needs a number from 0 to 1000</source>
        <translation>tandem&#xa0;: --batch-ms attend un nombre de 0 à 1000</translation>
    </message>
    <message>
        <source>tandem: cannot create the data directory %1</source>
        <translation>tandem&#xa0;: impossible de créer le dossier de données %1</translation>
    </message>
    <message>
        <source>tandem: --redis needs host:port, got %1</source>
        <translation>tandem&#xa0;: --redis attend hôte:port, reçu&#xa0;: %1</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::Identity</name>
    <message>
        <source>Guest</source>
        <translation>Invité</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::PresenceModel</name>
    <message>
        <source>typing</source>
        <translation>écrit</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inactif</translation>
    </message>
    <message>
        <source>away</source>
        <translation>absent</translation>
    </message>
    <message>
        <source>active</source>
        <translation>actif</translation>
    </message>
    <message>
        <source>%1 (you), %2</source>
        <translation>%1 (vous), %2</translation>
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
        <translation>la copie locale de %1 est endommagée&#xa0;: %2</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::Transport</name>
    <message>
        <source>the server did not answer in time</source>
        <translation>le serveur n’a pas répondu à temps</translation>
    </message>
    <message>
        <source>the connection went silent</source>
        <translation>la connexion ne répond plus</translation>
    </message>
    <message>
        <source>the server closed the connection (code %1)</source>
        <translation>le serveur a fermé la connexion (code %1)</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::RoomServer</name>
    <message>
        <source>cannot listen on %1:%2: %3</source>
        <translation>impossible d’écouter sur %1:%2&#xa0;: %3</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::FindBar</name>
    <message>
        <source>Find and replace</source>
        <translation>Rechercher et remplacer</translation>
    </message>
    <message>
        <source>Find in this note</source>
        <translation>Rechercher dans cette note</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Rechercher</translation>
    </message>
    <message>
        <source>&amp;Previous</source>
        <translation>&amp;Précédent</translation>
    </message>
    <message>
        <source>Ne&amp;xt</source>
        <translation>&amp;Suivant</translation>
    </message>
    <message>
        <source>Close (Esc)</source>
        <translation>Fermer (Échap)</translation>
    </message>
    <message>
        <source>Close find and replace</source>
        <translation>Fermer la recherche</translation>
    </message>
    <message>
        <source>Replace with</source>
        <translation>Remplacer par</translation>
    </message>
    <message>
        <source>&amp;Replace</source>
        <translation>&amp;Remplacer</translation>
    </message>
    <message>
        <source>Replace &amp;All</source>
        <translation>Remplacer &amp;tout</translation>
    </message>
    <message>
        <source>Wrapped around</source>
        <translation>Recherche reprise au début</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>Introuvable</translation>
    </message>
    <message numerus="yes">
        <source>Replaced: %n</source>
        <translation>
            <numerusform>Remplacement&#xa0;: %n</numerusform>
            <numerusform>Remplacements&#xa0;: %n</numerusform>
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
        <translation>Filtrer les notes</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>Join a room and pick or create a note to start writing.</source>
        <translation>Rejoignez un salon et choisissez ou créez une note pour commencer à écrire.</translation>
    </message>
    <message>
        <source>Who is typing</source>
        <translation>Qui est en train d’écrire</translation>
    </message>
    <message>
        <source>People in this room</source>
        <translation>Participants de ce salon</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Connexion</translation>
    </message>
    <message>
        <source>Changes not yet on the server</source>
        <translation>Modifications pas encore sur le serveur</translation>
    </message>
    <message>
        <source>Round-trip time</source>
        <translation>Temps aller-retour</translation>
    </message>
    <message>
        <source>Room address</source>
        <translation>Adresse du salon</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>Copy the room&apos;s address to share it</source>
        <translation>Copier l’adresse du salon pour la partager</translation>
    </message>
    <message>
        <source>Copy room address</source>
        <translation>Copier l’adresse du salon</translation>
    </message>
    <message>
        <source>&amp;Room</source>
        <translation>&amp;Salon</translation>
    </message>
    <message>
        <source>&amp;Join a Room…</source>
        <translation>&amp;Rejoindre un salon…</translation>
    </message>
    <message>
        <source>&amp;Host a Room…</source>
        <translation>&amp;Héberger un salon…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;Note</source>
        <translation>&amp;Note</translation>
    </message>
    <message>
        <source>&amp;New Note…</source>
        <translation>&amp;Nouvelle note…</translation>
    </message>
    <message>
        <source>New Note</source>
        <translation>Nouvelle note</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>Titre&#xa0;:</translation>
    </message>
    <message>
        <source>&amp;Rename…</source>
        <translation>&amp;Renommer…</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Supprimer</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>&amp;Importer…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>&amp;Exporter…</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Édition</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Annuler</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Rétablir</translation>
    </message>
    <message>
        <source>&amp;Find and Replace…</source>
        <translation>Rechercher et rem&amp;placer…</translation>
    </message>
    <message>
        <source>Filter &amp;Notes</source>
        <translation>Filtrer les &amp;notes</translation>
    </message>
    <message>
        <source>%1 – Tandem</source>
        <translation>%1 – Tandem</translation>
    </message>
    <message>
        <source>(untitled)</source>
        <translation>(sans titre)</translation>
    </message>
    <message>
        <source>Created by %1</source>
        <translation>Créée par %1</translation>
    </message>
    <message>
        <source>This note was deleted.</source>
        <translation>Cette note a été supprimée.</translation>
    </message>
    <message>
        <source>%1 joined</source>
        <translation>%1 a rejoint le salon</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>%1 a quitté le salon</translation>
    </message>
    <message>
        <source>Not in a room: Room ▸ Join a Room… or Host a Room…</source>
        <translation>Dans aucun salon&#xa0;: Salon ▸ Rejoindre un salon… ou Héberger un salon…</translation>
    </message>
    <message>
        <source>Disconnected: working offline</source>
        <translation>Déconnecté&#xa0;: travail hors ligne</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connexion…</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Synchronisation…</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Connecté</translation>
    </message>
    <message>
        <source>Refused by the server: %1. Your changes are kept on this computer.</source>
        <translation>Refusé par le serveur&#xa0;: %1. Vos modifications sont conservées sur cet ordinateur.</translation>
    </message>
    <message>
        <source>All changes saved on the server</source>
        <translation>Toutes les modifications sont enregistrées sur le serveur</translation>
    </message>
    <message numerus="yes">
        <source>Changes not yet on the server: %n</source>
        <translation>
            <numerusform>%n modification pas encore sur le serveur</numerusform>
            <numerusform>%n modifications pas encore sur le serveur</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Join a Room</source>
        <translation>Rejoindre un salon</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>Votre nom</translation>
    </message>
    <message>
        <source>Your colour</source>
        <translation>Votre couleur</translation>
    </message>
    <message>
        <source>&amp;Room address:</source>
        <translation>A&amp;dresse du salon&#xa0;:</translation>
    </message>
    <message>
        <source>Your &amp;name:</source>
        <translation>Votre &amp;nom&#xa0;:</translation>
    </message>
    <message>
        <source>Your &amp;colour:</source>
        <translation>Votre &amp;couleur&#xa0;:</translation>
    </message>
    <message>
        <source>Cannot open the room</source>
        <translation>Impossible d’ouvrir le salon</translation>
    </message>
    <message>
        <source>Host a Room</source>
        <translation>Héberger un salon</translation>
    </message>
    <message>
        <source>Port for teammates to connect to:</source>
        <translation>Port auquel votre équipe se connecte&#xa0;:</translation>
    </message>
    <message>
        <source>Room name:</source>
        <translation>Nom du salon&#xa0;:</translation>
    </message>
    <message>
        <source>Cannot host the room</source>
        <translation>Impossible d’héberger le salon</translation>
    </message>
    <message>
        <source>Room hosted</source>
        <translation>Salon hébergé</translation>
    </message>
    <message>
        <source>Teammates can join with:
%1</source>
        <translation>Votre équipe peut le rejoindre avec&#xa0;:
%1</translation>
    </message>
    <message>
        <source>Rename Note</source>
        <translation>Renommer la note</translation>
    </message>
    <message>
        <source>Delete Note</source>
        <translation>Supprimer la note</translation>
    </message>
    <message>
        <source>Delete “%1” for everyone in this room?</source>
        <translation>Supprimer «&#xa0;%1&#xa0;» pour tous les participants de ce salon&#xa0;?</translation>
    </message>
    <message>
        <source>Import a Note</source>
        <translation>Importer une note</translation>
    </message>
    <message>
        <source>Text and Markdown (*.txt *.md);;All files (*)</source>
        <translation>Texte et Markdown (*.txt *.md);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Cannot import</source>
        <translation>Impossible d’importer</translation>
    </message>
    <message>
        <source>Export the Note</source>
        <translation>Exporter la note</translation>
    </message>
    <message>
        <source>Cannot export</source>
        <translation>Impossible d’exporter</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>Go to &amp;Notes</source>
        <translation>Aller aux &amp;notes</translation>
    </message>
    <message>
        <source>Go to the &amp;Editor</source>
        <translation>Aller à l’é&amp;diteur</translation>
    </message>
    <message>
        <source>Go to &amp;People</source>
        <translation>Aller aux &amp;participants</translation>
    </message>
    <message numerus="yes">
        <source>Offline: working offline, retrying in %n s</source>
        <translation>
            <numerusform>Hors ligne&#xa0;: travail hors ligne, nouvelle tentative dans %n s</numerusform>
            <numerusform>Hors ligne&#xa0;: travail hors ligne, nouvelle tentative dans %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>F&amp;ind…</source>
        <translation>Rec&amp;hercher…</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::People</name>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 écrit…</translation>
    </message>
    <message>
        <source>%1 and %2 are typing…</source>
        <translation>%1 et %2 écrivent…</translation>
    </message>
    <message numerus="yes">
        <source>%n people are typing…</source>
        <translation>
            <numerusform>%n personne écrit…</numerusform>
            <numerusform>%n personnes écrivent…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::PeopleDelegate</name>
    <message>
        <source>typing…</source>
        <translation>écrit…</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inactif</translation>
    </message>
    <message>
        <source>away</source>
        <translation>absent</translation>
    </message>
    <message>
        <source>active</source>
        <translation>actif</translation>
    </message>
    <message>
        <source>%1 (you), %2</source>
        <translation>%1 (vous), %2</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1, %2</translation>
    </message>
    <message>
        <source>%1 (you)</source>
        <translation>%1 (vous)</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::SharedEditor</name>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>The shared text of the selected note</source>
        <translation>Le texte partagé de la note sélectionnée</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Real-time collaborative notes.</source>
        <translation>Notes collaboratives en temps réel.</translation>
    </message>
    <message>
        <source>A room to open, e.g. ws://host:1234/notes</source>
        <translation>Un salon à ouvrir, p. ex. ws://host:1234/notes</translation>
    </message>
    <message>
        <source>Open the room&apos;s root text of this name (rooms of Yjs demos) instead of its notes.</source>
        <translation>Ouvrir le texte racine du salon portant ce nom (salons des démos Yjs) au lieu de ses notes.</translation>
    </message>
    <message>
        <source>Tandem</source>
        <translation>Tandem</translation>
    </message>
    <message>
        <source>Cannot open the local store: %1</source>
        <translation>Impossible d’ouvrir le stockage local&#xa0;: %1</translation>
    </message>
    <message>
        <source>Host rooms without a window.</source>
        <translation>Héberger des salons sans fenêtre.</translation>
    </message>
    <message>
        <source>Address to listen on (default 127.0.0.1).</source>
        <translation>Adresse d’écoute (127.0.0.1 par défaut).</translation>
    </message>
    <message>
        <source>Port to listen on (default 1234, 0 picks one).</source>
        <translation>Port d’écoute (1234 par défaut, 0 en choisit un libre).</translation>
    </message>
    <message>
        <source>Where rooms are stored.</source>
        <translation>Emplacement de stockage des salons.</translation>
    </message>
    <message>
        <source>Largest message a client may send (default 16 MiB).</source>
        <translation>Taille maximale d’un message envoyé par un client (16 Mio par défaut).</translation>
    </message>
    <message>
        <source>Hold updates up to this long to send them in batches: less CPU in busy rooms, more latency (default 0).</source>
        <translation>Retenir les mises à jour jusqu’à cette durée pour les envoyer par lots&#xa0;: moins de CPU dans les salons animés, plus de latence (0 par défaut).</translation>
    </message>
    <message>
        <source>Language of the interface: de, en, es or fr (default: the system&apos;s).</source>
        <translation>Langue de l’interface&#xa0;: de, en, es ou fr (par défaut&#xa0;: celle du système).</translation>
    </message>
    <message>
        <source>Keep rooms in PostgreSQL instead of the data directory&apos;s SQLite file (postgres://user:password@host:port/db); several servers can share it.</source>
        <translation>Garder les salons dans PostgreSQL au lieu du fichier SQLite du dossier de données (postgres://utilisateur:motdepasse@hôte:port/base)&#xa0;; plusieurs serveurs peuvent la partager.</translation>
    </message>
    <message>
        <source>Share rooms with other servers through Redis at host:port (with --store postgres://… for one store).</source>
        <translation>Partager les salons avec d’autres serveurs via Redis à hôte:port (avec --store postgres://… pour un stockage commun).</translation>
    </message>
</context>
</TS>
