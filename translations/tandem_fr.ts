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
    <message>
        <source>Issues, lists and revokes access tokens of a server&apos;s store.

  tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url URL]
  tandem token list
  tandem token revoke ID

Each takes the server&apos;s --data-dir DIR or --store postgres://… (as tandem --serve). ROOM * makes a token for every room.

Exit codes: 0 done, 1 the store cannot be used, 2 usage, 4 no such token.</source>
        <translation>Émet, liste et révoque les jetons d’accès du stockage d’un serveur.

  tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url URL]
  tandem token list
  tandem token revoke ID

Chaque commande prend le --data-dir DIR ou le --store postgres://… du serveur (comme tandem --serve). ROOM * crée un jeton valable pour tous les salons.

Codes de sortie&#xa0;: 0 terminé, 1 stockage inutilisable, 2 utilisation incorrecte, 4 jeton introuvable.</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>issue, list or revoke</source>
        <translation>issue, list ou revoke</translation>
    </message>
    <message>
        <source>issue: the room (* for every room); revoke: the token id</source>
        <translation>issue&#xa0;: le salon (* pour tous les salons)&#xa0;; revoke&#xa0;: l’identifiant du jeton</translation>
    </message>
    <message>
        <source>issue: read-only access.</source>
        <translation>issue&#xa0;: accès en lecture seule.</translation>
    </message>
    <message>
        <source>issue: days until the token expires (default 30; 0 = never).</source>
        <translation>issue&#xa0;: jours avant l’expiration du jeton (30 par défaut&#xa0;; 0 = jamais).</translation>
    </message>
    <message>
        <source>issue: a note for the list, e.g. who the token is for.</source>
        <translation>issue&#xa0;: un libellé pour la liste, p. ex. à qui le jeton est destiné.</translation>
    </message>
    <message>
        <source>issue: the server&apos;s address, to print an invite link (e.g. ws://host:1234).</source>
        <translation>issue&#xa0;: l’adresse du serveur, pour afficher un lien d’invitation (p. ex. ws://host:1234).</translation>
    </message>
    <message>
        <source>tandem: %1 (see tandem token --help)</source>
        <translation>tandem&#xa0;: %1 (voir tandem token --help)</translation>
    </message>
    <message>
        <source>token needs issue, list or revoke</source>
        <translation>token nécessite issue, list ou revoke</translation>
    </message>
    <message>
        <source>--store and --data-dir cannot be combined</source>
        <translation>--store et --data-dir ne peuvent pas être combinés</translation>
    </message>
    <message>
        <source>--days needs a number from 0 (never expires) to 36500</source>
        <translation>--days nécessite un nombre de 0 (n’expire jamais) à 36500</translation>
    </message>
    <message>
        <source>--url needs the server&apos;s address such as ws://host:1234</source>
        <translation>--url nécessite l’adresse du serveur, comme ws://host:1234</translation>
    </message>
    <message>
        <source>not a room name: %1</source>
        <translation>nom de salon non valide&#xa0;: %1</translation>
    </message>
    <message>
        <source>Token id: %1</source>
        <translation>Identifiant du jeton&#xa0;: %1</translation>
    </message>
    <message>
        <source>read only</source>
        <translation>lecture seule</translation>
    </message>
    <message>
        <source>read and write</source>
        <translation>lecture et écriture</translation>
    </message>
    <message>
        <source>never expires</source>
        <translation>n’expire jamais</translation>
    </message>
    <message>
        <source>expires %1</source>
        <translation>expire le %1</translation>
    </message>
    <message>
        <source>Every room, %1, %2.</source>
        <translation>Tous les salons, %1, %2.</translation>
    </message>
    <message>
        <source>Room %1, %2, %3.</source>
        <translation>Salon %1, %2, %3.</translation>
    </message>
    <message>
        <source>Replace &lt;room&gt; in the link with the name of a room.</source>
        <translation>Remplacez &lt;room&gt; dans le lien par le nom d’un salon.</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>Stockage&#xa0;: %1</translation>
    </message>
    <message>
        <source>tandem: no such token: %1</source>
        <translation>tandem&#xa0;: jeton introuvable&#xa0;: %1</translation>
    </message>
    <message>
        <source>Revoked token %1: servers using this store refuse it within seconds.</source>
        <translation>Jeton %1 révoqué&#xa0;: les serveurs utilisant ce stockage le refusent en quelques secondes.</translation>
    </message>
    <message>
        <source>No tokens in %1.</source>
        <translation>Aucun jeton dans %1.</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>ROOM</source>
        <translation>SALON</translation>
    </message>
    <message>
        <source>ACCESS</source>
        <translation>ACCÈS</translation>
    </message>
    <message>
        <source>EXPIRES</source>
        <translation>EXPIRATION</translation>
    </message>
    <message>
        <source>LABEL</source>
        <translation>LIBELLÉ</translation>
    </message>
    <message>
        <source>REVOKED</source>
        <translation>RÉVOQUÉ</translation>
    </message>
    <message>
        <source>never</source>
        <translation>jamais</translation>
    </message>
    <message>
        <source>%1 (expired)</source>
        <translation>%1 (expiré)</translation>
    </message>
    <message>
        <source>read</source>
        <translation>lecture</translation>
    </message>
    <message>
        <source>write</source>
        <translation>écriture</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message>
        <source>no</source>
        <translation>non</translation>
    </message>
    <message>
        <source>tandem: --cert-days needs a number of days</source>
        <translation>tandem&#xa0;: --cert-days attend un nombre de jours</translation>
    </message>
    <message>
        <source>tandem: --%1 needs a number (0 for no limit)</source>
        <translation>tandem&#xa0;: --%1 attend un nombre (0 pour aucune limite)</translation>
    </message>
    <message>
        <source>tandem: --invite-room needs a room name</source>
        <translation>tandem&#xa0;: --invite-room attend un nom de salon</translation>
    </message>
    <message>
        <source>tandem: --cert and --key go together</source>
        <translation>tandem&#xa0;: --cert et --key vont ensemble</translation>
    </message>
    <message>
        <source>The server&apos;s data directory (its rooms.sqlite).</source>
        <translation>Le dossier de données du serveur (son rooms.sqlite).</translation>
    </message>
    <message>
        <source>The server&apos;s PostgreSQL store instead (postgres://user:password@host:port/db).</source>
        <translation>Le stockage PostgreSQL du serveur à la place (postgres://utilisateur:motdepasse@hôte:port/base).</translation>
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
    <message>
        <source>The server&apos;s certificate is not trusted yet (SHA-256 fingerprint %1)</source>
        <translation>Le certificat du serveur n’est pas encore approuvé (empreinte SHA-256 %1)</translation>
    </message>
    <message>
        <source>The server&apos;s certificate changed since you last connected: this may be someone intercepting the connection. Not connecting. (Known SHA-256 fingerprint %1, now %2)</source>
        <translation>Le certificat du serveur a changé depuis votre dernière connexion&#xa0;: quelqu’un intercepte peut-être la connexion. Connexion annulée. (Empreinte SHA-256 connue %1, maintenant %2)</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::RoomServer</name>
    <message>
        <source>cannot listen on %1:%2: %3</source>
        <translation>impossible d’écouter sur %1:%2&#xa0;: %3</translation>
    </message>
    <message>
        <source>TLS needs both a certificate and a private key file</source>
        <translation>TLS nécessite à la fois un certificat et un fichier de clé privée</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::TlsContext</name>
    <message>
        <source>cannot read the certificate file %1: %2</source>
        <translation>impossible de lire le fichier de certificat %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>cannot read the private key file %1: %2</source>
        <translation>impossible de lire le fichier de clé privée %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>%1 holds no PEM certificate (%2)</source>
        <translation>%1 ne contient aucun certificat PEM (%2)</translation>
    </message>
    <message>
        <source>%1 holds no unencrypted PEM private key (%2)</source>
        <translation>%1 ne contient aucune clé privée PEM non chiffrée (%2)</translation>
    </message>
    <message>
        <source>cannot set up TLS: %1</source>
        <translation>impossible de configurer TLS&#xa0;: %1</translation>
    </message>
    <message>
        <source>cannot use the certificate in %1: %2</source>
        <translation>impossible d’utiliser le certificat de %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>cannot use the certificate chain in %1: %2</source>
        <translation>impossible d’utiliser la chaîne de certificats de %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>the private key in %1 does not belong to the certificate in %2</source>
        <translation>la clé privée de %1 ne correspond pas au certificat de %2</translation>
    </message>
    <message>
        <source>cannot compute the certificate&apos;s fingerprint: %1</source>
        <translation>impossible de calculer l’empreinte du certificat&#xa0;: %1</translation>
    </message>
    <message>
        <source>cannot make a certificate: %1 (%2)</source>
        <translation>impossible de créer un certificat&#xa0;: %1 (%2)</translation>
    </message>
    <message>
        <source>cannot make a certificate without host names or validity</source>
        <translation>impossible de créer un certificat sans noms d’hôte ni durée de validité</translation>
    </message>
    <message>
        <source>cannot make a certificate for %1: not a host name</source>
        <translation>impossible de créer un certificat pour %1&#xa0;: ce n’est pas un nom d’hôte</translation>
    </message>
    <message>
        <source>cannot write %1: %2</source>
        <translation>impossible d’écrire %1&#xa0;: %2</translation>
    </message>
    <message>
        <source>this build of Tandem has no TLS support (OpenSSL)</source>
        <translation>cette version de Tandem ne prend pas en charge TLS (OpenSSL)</translation>
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
        <source>Cannot host the room</source>
        <translation>Impossible d’héberger le salon</translation>
    </message>
    <message>
        <source>Room hosted</source>
        <translation>Salon hébergé</translation>
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
    <message>
        <source>Unknown certificate</source>
        <translation>Certificat inconnu</translation>
    </message>
    <message>
        <source>&lt;p&gt;The server &lt;b&gt;%1&lt;/b&gt; uses a certificate that is not signed by an authority this computer trusts (a self-signed certificate, as Tandem makes).&lt;/p&gt;&lt;p&gt;Compare its SHA-256 fingerprint with the one the host sees (ask them over another channel):&lt;/p&gt;%2</source>
        <translation>&lt;p&gt;Le serveur &lt;b&gt;%1&lt;/b&gt; utilise un certificat qui n’est pas signé par une autorité approuvée par cet ordinateur (un certificat auto-signé, comme ceux que crée Tandem).&lt;/p&gt;&lt;p&gt;Comparez son empreinte SHA-256 avec celle que voit l’hôte (demandez-la-lui par un autre moyen)&#xa0;:&lt;/p&gt;%2</translation>
    </message>
    <message>
        <source>Trust and connect</source>
        <translation>Faire confiance et se connecter</translation>
    </message>
    <message>
        <source>The server&apos;s certificate changed</source>
        <translation>Le certificat du serveur a changé</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;The certificate of %1 is not the one you trusted before.&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Someone may be intercepting the connection, or the host made a new certificate. Tandem did not connect. Ask the host which fingerprint their server has now.&lt;/p&gt;&lt;p&gt;Trusted before:&lt;/p&gt;%2&lt;p&gt;Now:&lt;/p&gt;%3</source>
        <translation>&lt;p&gt;&lt;b&gt;Le certificat de %1 n’est pas celui auquel vous faisiez confiance.&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Quelqu’un intercepte peut-être la connexion, ou l’hôte a créé un nouveau certificat. Tandem ne s’est pas connecté. Demandez à l’hôte quelle empreinte son serveur a maintenant.&lt;/p&gt;&lt;p&gt;Approuvé auparavant&#xa0;:&lt;/p&gt;%2&lt;p&gt;Maintenant&#xa0;:&lt;/p&gt;%3</translation>
    </message>
    <message>
        <source>Trust the new certificate</source>
        <translation>Faire confiance au nouveau certificat</translation>
    </message>
    <message>
        <source>Connected, read-only: you can read along but not change notes</source>
        <translation>Connecté, lecture seule&#xa0;: vous pouvez lire mais pas modifier les notes</translation>
    </message>
    <message>
        <source>Not connected: %1. Your changes are kept on this computer.</source>
        <translation>Non connecté&#xa0;: %1. Vos modifications sont conservées sur cet ordinateur.</translation>
    </message>
    <message>
        <source>Port for teammates to connect to</source>
        <translation>Port auquel se connectent vos coéquipiers</translation>
    </message>
    <message>
        <source>Room name</source>
        <translation>Nom du salon</translation>
    </message>
    <message>
        <source>&amp;Encrypt (wss://)</source>
        <translation>&amp;Chiffrer (wss://)</translation>
    </message>
    <message>
        <source>Teammates connect over TLS. The certificate is self-signed: the first time, they compare its fingerprint with the one shown here.</source>
        <translation>Vos coéquipiers se connectent via TLS. Le certificat est auto-signé&#xa0;: la première fois, ils comparent son empreinte avec celle affichée ici.</translation>
    </message>
    <message>
        <source>&amp;Port for teammates to connect to:</source>
        <translation>&amp;Port auquel se connectent vos coéquipiers&#xa0;:</translation>
    </message>
    <message>
        <source>&amp;Room name:</source>
        <translation>&amp;Nom du salon&#xa0;:</translation>
    </message>
    <message>
        <source>Only people with a link can join. The links are valid for 30 days.</source>
        <translation>Seules les personnes disposant d’un lien peuvent rejoindre le salon. Les liens sont valables 30 jours.</translation>
    </message>
    <message>
        <source>Copy: %1</source>
        <translation>Copier&#xa0;: %1</translation>
    </message>
    <message>
        <source>For teammates who may &amp;edit:</source>
        <translation>Pour les coéquipiers qui peuvent &amp;modifier&#xa0;:</translation>
    </message>
    <message>
        <source>For guests who may only &amp;read:</source>
        <translation>Pour les invités qui peuvent seulement &amp;lire&#xa0;:</translation>
    </message>
    <message>
        <source>&lt;p&gt;The certificate&apos;s SHA-256 fingerprint, for them to compare when Tandem asks:&lt;/p&gt;%1</source>
        <translation>&lt;p&gt;L’empreinte SHA-256 du certificat, à comparer quand Tandem le demande&#xa0;:&lt;/p&gt;%1</translation>
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
    <message>
        <source>Serve wss:// (TLS) with this PEM certificate chain (with --key).</source>
        <translation>Servir en wss:// (TLS) avec cette chaîne de certificats PEM (avec --key).</translation>
    </message>
    <message>
        <source>The PEM private key of --cert (unencrypted).</source>
        <translation>La clé privée PEM de --cert (non chiffrée).</translation>
    </message>
    <message>
        <source>With --serve: write a self-signed certificate and key (cert.pem, key.pem) into this directory, print its fingerprint and exit.</source>
        <translation>Avec --serve&#xa0;: écrire un certificat auto-signé et sa clé (cert.pem, key.pem) dans ce dossier, afficher son empreinte et quitter.</translation>
    </message>
    <message>
        <source>A host name or IP address the generated certificate is for (repeatable; default: this machine&apos;s names and addresses).</source>
        <translation>Un nom d’hôte ou une adresse IP pour le certificat généré (répétable&#xa0;; par défaut&#xa0;: les noms et adresses de cette machine).</translation>
    </message>
    <message>
        <source>How long the generated certificate is valid (default 825).</source>
        <translation>Durée de validité du certificat généré (825 par défaut).</translation>
    </message>
    <message>
        <source>Admit only clients whose link carries an access token (see `tandem token`); prints an invite link at start.</source>
        <translation>N’admettre que les clients dont le lien contient un jeton d’accès (voir `tandem token`)&#xa0;; affiche un lien d’invitation au démarrage.</translation>
    </message>
    <message>
        <source>Room of the invite link printed with --require-token (default notes).</source>
        <translation>Salon du lien d’invitation affiché avec --require-token (notes par défaut).</translation>
    </message>
    <message>
        <source>Connections one address may hold (0: no limit; default 64).</source>
        <translation>Connexions qu’une adresse peut maintenir (0&#xa0;: aucune limite&#xa0;; 64 par défaut).</translation>
    </message>
    <message>
        <source>Messages per second a connection may send on average (bursts of ten times as many pass; 0: no limit; default 200).</source>
        <translation>Messages par seconde qu’une connexion peut envoyer en moyenne (les rafales dix fois plus grandes passent&#xa0;; 0&#xa0;: aucune limite&#xa0;; 200 par défaut).</translation>
    </message>
    <message>
        <source>Bytes per second a connection may send on average, past a burst of 32 MiB (0: no limit; default 1 MiB).</source>
        <translation>Octets par seconde qu’une connexion peut envoyer en moyenne, au-delà d’une rafale de 32 Mio (0&#xa0;: aucune limite&#xa0;; 1 Mio par défaut).</translation>
    </message>
    <message>
        <source>Rooms open at once (0: no limit; default 10000).</source>
        <translation>Salons ouverts simultanément (0&#xa0;: aucune limite&#xa0;; 10000 par défaut).</translation>
    </message>
    <message>
        <source>Stored size one room may reach (0: no limit; default 64 MiB).</source>
        <translation>Taille stockée qu’un salon peut atteindre (0&#xa0;: aucune limite&#xa0;; 64 Mio par défaut).</translation>
    </message>
    <message>
        <source>Memory for open rooms, estimated at ten times their stored size (0: no limit; default 2 GiB); beyond it idle rooms close and growth is refused.</source>
        <translation>Mémoire pour les salons ouverts, estimée à dix fois leur taille stockée (0&#xa0;: aucune limite&#xa0;; 2 Gio par défaut)&#xa0;; au-delà, les salons inactifs sont fermés et toute croissance est refusée.</translation>
    </message>
</context>
</TS>
