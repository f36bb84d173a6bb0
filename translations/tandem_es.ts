<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES" sourcelanguage="en">
<context>
    <name>Tandem::App</name>
    <message>
        <source>Reads or writes a note of a room without the window.

  tandem cat URL [--note TITLE | --text NAME]
  tandem export URL (--note TITLE | --text NAME) -o FILE
  tandem import URL FILE [--note TITLE | --text NAME]

Exit codes: 0 done, 1 local file error, 2 usage, 3 server unreachable or too slow, 4 no such note, 5 refused by the server.</source>
        <translation>Lee o escribe una nota de una sala sin abrir la ventana.

  tandem cat URL [--note TITLE | --text NAME]
  tandem export URL (--note TITLE | --text NAME) -o FILE
  tandem import URL FILE [--note TITLE | --text NAME]

Códigos de salida: 0 hecho, 1 error de un archivo local, 2 uso incorrecto, 3 servidor inaccesible o demasiado lento, 4 no existe la nota, 5 rechazado por el servidor.</translation>
    </message>
    <message>
        <source>cat, export or import</source>
        <translation>cat, export o import</translation>
    </message>
    <message>
        <source>The room, e.g. ws://host:1234/team</source>
        <translation>La sala, p. ej. ws://host:1234/team</translation>
    </message>
    <message>
        <source>The note&apos;s title.</source>
        <translation>El título de la nota.</translation>
    </message>
    <message>
        <source>Plain mode: the room&apos;s root text of this name (rooms of Yjs demos use codemirror, quill or monaco).</source>
        <translation>Modo simple: el texto raíz de la sala con este nombre (las salas de las demos de Yjs usan codemirror, quill o monaco).</translation>
    </message>
    <message>
        <source>export: the file to write.</source>
        <translation>export: el archivo de destino.</translation>
    </message>
    <message>
        <source>Seconds to wait for the server (default 15).</source>
        <translation>Tiempo de espera del servidor en segundos (por defecto 15).</translation>
    </message>
    <message>
        <source>%1 needs a room URL such as ws://host:1234/room</source>
        <translation>%1 necesita la URL de una sala, como ws://host:1234/room</translation>
    </message>
    <message>
        <source>--timeout needs a positive number of seconds</source>
        <translation>--timeout necesita un número positivo de segundos</translation>
    </message>
    <message>
        <source>--note and --text cannot be combined</source>
        <translation>--note y --text no se pueden combinar</translation>
    </message>
    <message>
        <source>wrong number of arguments</source>
        <translation>número de argumentos incorrecto</translation>
    </message>
    <message>
        <source>export needs --note TITLE (or --text NAME) and -o FILE</source>
        <translation>export necesita --note TITLE (o --text NAME) y -o FILE</translation>
    </message>
    <message>
        <source>tandem: the server refused the connection: %1</source>
        <translation>tandem: el servidor rechazó la conexión: %1</translation>
    </message>
    <message>
        <source>tandem: %1 (see tandem %2 --help)</source>
        <translation>tandem: %1 (consulta tandem %2 --help)</translation>
    </message>
    <message>
        <source>tandem: could not sync with %1 within the timeout</source>
        <translation>tandem: no se pudo sincronizar con %1 dentro del tiempo de espera</translation>
    </message>
    <message>
        <source>tandem: no note titled “%1” in %2</source>
        <translation>tandem: no hay ninguna nota titulada «%1» en %2</translation>
    </message>
    <message>
        <source>tandem: cannot write %1: %2</source>
        <translation>tandem: no se puede escribir %1: %2</translation>
    </message>
    <message>
        <source>tandem: cannot read %1: %2</source>
        <translation>tandem: no se puede leer %1: %2</translation>
    </message>
    <message>
        <source>tandem: %1 is not UTF-8 text</source>
        <translation>tandem: %1 no es texto UTF-8</translation>
    </message>
    <message>
        <source>tandem: the server did not confirm the import to %1 within the timeout</source>
        <translation>tandem: el servidor no confirmó la importación a %1 dentro del tiempo de espera</translation>
    </message>
    <message>
        <source>tandem: --host needs an IP address, got %1</source>
        <translation>tandem: --host necesita una dirección IP; se recibió %1</translation>
    </message>
    <message>
        <source>tandem: --port needs a number from 0 to 65535</source>
        <translation>tandem: --port necesita un número de 0 a 65535</translation>
    </message>
    <message>
        <source>tandem: --max-message-bytes needs a number of at least 1024</source>
        <translation>tandem: --max-message-bytes necesita un número de al menos 1024</translation>
    </message>
    <message>
        <source>tandem: --batch-ms needs a number from 0 to 1000</source>
        <translation>tandem: --batch-ms necesita un número de 0 a 1000</translation>
    </message>
    <message>
        <source>tandem: cannot create the data directory %1</source>
        <translation>tandem: no se puede crear el directorio de datos %1</translation>
    </message>
    <message>
        <source>tandem: --redis needs host:port, got %1</source>
        <translation>tandem: --redis necesita host:puerto; se recibió %1</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::Identity</name>
    <message>
        <source>Guest</source>
        <translation>Invitado</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::PresenceModel</name>
    <message>
        <source>typing</source>
        <translation>escribiendo</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inactivo</translation>
    </message>
    <message>
        <source>away</source>
        <translation>ausente</translation>
    </message>
    <message>
        <source>active</source>
        <translation>activo</translation>
    </message>
    <message>
        <source>%1 (you), %2</source>
        <translation>%1 (tú), %2</translation>
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
        <translation>la copia local de %1 está dañada: %2</translation>
    </message>
</context>
<context>
    <name>Tandem::Client::Transport</name>
    <message>
        <source>the server did not answer in time</source>
        <translation>el servidor no respondió a tiempo</translation>
    </message>
    <message>
        <source>the connection went silent</source>
        <translation>la conexión dejó de responder</translation>
    </message>
    <message>
        <source>the server closed the connection (code %1)</source>
        <translation>el servidor cerró la conexión (código %1)</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::RoomServer</name>
    <message>
        <source>cannot listen on %1:%2: %3</source>
        <translation>no se puede escuchar en %1:%2: %3</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::FindBar</name>
    <message>
        <source>Find and replace</source>
        <translation>Buscar y reemplazar</translation>
    </message>
    <message>
        <source>Find in this note</source>
        <translation>Buscar en esta nota</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Buscar</translation>
    </message>
    <message>
        <source>&amp;Previous</source>
        <translation>&amp;Anterior</translation>
    </message>
    <message>
        <source>Ne&amp;xt</source>
        <translation>&amp;Siguiente</translation>
    </message>
    <message>
        <source>Close (Esc)</source>
        <translation>Cerrar (Esc)</translation>
    </message>
    <message>
        <source>Close find and replace</source>
        <translation>Cerrar buscar y reemplazar</translation>
    </message>
    <message>
        <source>Replace with</source>
        <translation>Reemplazar por</translation>
    </message>
    <message>
        <source>&amp;Replace</source>
        <translation>&amp;Reemplazar</translation>
    </message>
    <message>
        <source>Replace &amp;All</source>
        <translation>Reemplazar &amp;todo</translation>
    </message>
    <message>
        <source>Wrapped around</source>
        <translation>Búsqueda reiniciada desde el principio</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>No encontrado</translation>
    </message>
    <message numerus="yes">
        <source>Replaced: %n</source>
        <translation>
            <numerusform>Reemplazo: %n</numerusform>
            <numerusform>Reemplazos: %n</numerusform>
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
        <translation>Filtrar notas</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notas</translation>
    </message>
    <message>
        <source>Join a room and pick or create a note to start writing.</source>
        <translation>Únete a una sala y elige o crea una nota para empezar a escribir.</translation>
    </message>
    <message>
        <source>Who is typing</source>
        <translation>Quién está escribiendo</translation>
    </message>
    <message>
        <source>People in this room</source>
        <translation>Participantes de esta sala</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Conexión</translation>
    </message>
    <message>
        <source>Changes not yet on the server</source>
        <translation>Cambios que aún no están en el servidor</translation>
    </message>
    <message>
        <source>Round-trip time</source>
        <translation>Tiempo de ida y vuelta</translation>
    </message>
    <message>
        <source>Room address</source>
        <translation>Dirección de la sala</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <source>Copy the room&apos;s address to share it</source>
        <translation>Copiar la dirección de la sala para compartirla</translation>
    </message>
    <message>
        <source>Copy room address</source>
        <translation>Copiar la dirección de la sala</translation>
    </message>
    <message>
        <source>&amp;Room</source>
        <translation>&amp;Sala</translation>
    </message>
    <message>
        <source>&amp;Join a Room…</source>
        <translation>&amp;Unirse a una sala…</translation>
    </message>
    <message>
        <source>&amp;Host a Room…</source>
        <translation>&amp;Alojar una sala…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;Note</source>
        <translation>&amp;Nota</translation>
    </message>
    <message>
        <source>&amp;New Note…</source>
        <translation>&amp;Nueva nota…</translation>
    </message>
    <message>
        <source>New Note</source>
        <translation>Nueva nota</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>Título:</translation>
    </message>
    <message>
        <source>&amp;Rename…</source>
        <translation>&amp;Cambiar nombre…</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Eliminar</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>&amp;Importar…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>E&amp;xportar…</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Editar</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Deshacer</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Rehacer</translation>
    </message>
    <message>
        <source>&amp;Find and Replace…</source>
        <translation>&amp;Buscar y reemplazar…</translation>
    </message>
    <message>
        <source>Filter &amp;Notes</source>
        <translation>Filtrar &amp;notas</translation>
    </message>
    <message>
        <source>%1 – Tandem</source>
        <translation>%1 – Tandem</translation>
    </message>
    <message>
        <source>(untitled)</source>
        <translation>(sin título)</translation>
    </message>
    <message>
        <source>Created by %1</source>
        <translation>Creada por %1</translation>
    </message>
    <message>
        <source>This note was deleted.</source>
        <translation>Esta nota se ha eliminado.</translation>
    </message>
    <message>
        <source>%1 joined</source>
        <translation>%1 se ha unido</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>%1 ha salido</translation>
    </message>
    <message>
        <source>Not in a room: Room ▸ Join a Room… or Host a Room…</source>
        <translation>No estás en ninguna sala: Sala ▸ Unirse a una sala… o Alojar una sala…</translation>
    </message>
    <message>
        <source>Disconnected: working offline</source>
        <translation>Desconectado: trabajando sin conexión</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Conectando…</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Sincronizando…</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Conectado</translation>
    </message>
    <message>
        <source>Refused by the server: %1. Your changes are kept on this computer.</source>
        <translation>Rechazado por el servidor: %1. Tus cambios se conservan en este equipo.</translation>
    </message>
    <message>
        <source>All changes saved on the server</source>
        <translation>Todos los cambios guardados en el servidor</translation>
    </message>
    <message numerus="yes">
        <source>Changes not yet on the server: %n</source>
        <translation>
            <numerusform>%n cambio aún no está en el servidor</numerusform>
            <numerusform>%n cambios aún no están en el servidor</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Join a Room</source>
        <translation>Unirse a una sala</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>Tu nombre</translation>
    </message>
    <message>
        <source>Your colour</source>
        <translation>Tu color</translation>
    </message>
    <message>
        <source>&amp;Room address:</source>
        <translation>&amp;Dirección de la sala:</translation>
    </message>
    <message>
        <source>Your &amp;name:</source>
        <translation>Tu &amp;nombre:</translation>
    </message>
    <message>
        <source>Your &amp;colour:</source>
        <translation>Tu co&amp;lor:</translation>
    </message>
    <message>
        <source>Cannot open the room</source>
        <translation>No se puede abrir la sala</translation>
    </message>
    <message>
        <source>Host a Room</source>
        <translation>Alojar una sala</translation>
    </message>
    <message>
        <source>Port for teammates to connect to:</source>
        <translation>Puerto al que se conectarán tus compañeros:</translation>
    </message>
    <message>
        <source>Room name:</source>
        <translation>Nombre de la sala:</translation>
    </message>
    <message>
        <source>Cannot host the room</source>
        <translation>No se puede alojar la sala</translation>
    </message>
    <message>
        <source>Room hosted</source>
        <translation>Sala alojada</translation>
    </message>
    <message>
        <source>Teammates can join with:
%1</source>
        <translation>Tus compañeros pueden unirse con:
%1</translation>
    </message>
    <message>
        <source>Rename Note</source>
        <translation>Cambiar el nombre de la nota</translation>
    </message>
    <message>
        <source>Delete Note</source>
        <translation>Eliminar la nota</translation>
    </message>
    <message>
        <source>Delete “%1” for everyone in this room?</source>
        <translation>¿Eliminar «%1» para todos en esta sala?</translation>
    </message>
    <message>
        <source>Import a Note</source>
        <translation>Importar una nota</translation>
    </message>
    <message>
        <source>Text and Markdown (*.txt *.md);;All files (*)</source>
        <translation>Texto y Markdown (*.txt *.md);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Cannot import</source>
        <translation>No se puede importar</translation>
    </message>
    <message>
        <source>Export the Note</source>
        <translation>Exportar la nota</translation>
    </message>
    <message>
        <source>Cannot export</source>
        <translation>No se puede exportar</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>Go to &amp;Notes</source>
        <translation>Ir a las &amp;notas</translation>
    </message>
    <message>
        <source>Go to the &amp;Editor</source>
        <translation>Ir al &amp;editor</translation>
    </message>
    <message>
        <source>Go to &amp;People</source>
        <translation>Ir a los &amp;participantes</translation>
    </message>
    <message numerus="yes">
        <source>Offline: working offline, retrying in %n s</source>
        <translation>
            <numerusform>Sin conexión: trabajando sin conexión, nuevo intento en %n s</numerusform>
            <numerusform>Sin conexión: trabajando sin conexión, nuevo intento en %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>F&amp;ind…</source>
        <translation>B&amp;uscar…</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::People</name>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 está escribiendo…</translation>
    </message>
    <message>
        <source>%1 and %2 are typing…</source>
        <translation>%1 y %2 están escribiendo…</translation>
    </message>
    <message numerus="yes">
        <source>%n people are typing…</source>
        <translation>
            <numerusform>%n persona está escribiendo…</numerusform>
            <numerusform>%n personas están escribiendo…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::PeopleDelegate</name>
    <message>
        <source>typing…</source>
        <translation>escribiendo…</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inactivo</translation>
    </message>
    <message>
        <source>away</source>
        <translation>ausente</translation>
    </message>
    <message>
        <source>active</source>
        <translation>activo</translation>
    </message>
    <message>
        <source>%1 (you), %2</source>
        <translation>%1 (tú), %2</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1, %2</translation>
    </message>
    <message>
        <source>%1 (you)</source>
        <translation>%1 (tú)</translation>
    </message>
</context>
<context>
    <name>Tandem::Ui::SharedEditor</name>
    <message>
        <source>Note</source>
        <translation>Nota</translation>
    </message>
    <message>
        <source>The shared text of the selected note</source>
        <translation>El texto compartido de la nota seleccionada</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Real-time collaborative notes.</source>
        <translation>Notas colaborativas en tiempo real.</translation>
    </message>
    <message>
        <source>A room to open, e.g. ws://host:1234/notes</source>
        <translation>La sala que se abrirá, p. ej. ws://host:1234/notes</translation>
    </message>
    <message>
        <source>Open the room&apos;s root text of this name (rooms of Yjs demos) instead of its notes.</source>
        <translation>Abrir el texto raíz de la sala con este nombre (salas de las demos de Yjs) en lugar de sus notas.</translation>
    </message>
    <message>
        <source>Tandem</source>
        <translation>Tandem</translation>
    </message>
    <message>
        <source>Cannot open the local store: %1</source>
        <translation>No se puede abrir el almacenamiento local: %1</translation>
    </message>
    <message>
        <source>Host rooms without a window.</source>
        <translation>Alojar salas sin ventana.</translation>
    </message>
    <message>
        <source>Address to listen on (default 127.0.0.1).</source>
        <translation>Dirección en la que escuchar (por defecto 127.0.0.1).</translation>
    </message>
    <message>
        <source>Port to listen on (default 1234, 0 picks one).</source>
        <translation>Puerto en el que escuchar (por defecto 1234; 0 elige uno libre).</translation>
    </message>
    <message>
        <source>Where rooms are stored.</source>
        <translation>Dónde se guardan las salas.</translation>
    </message>
    <message>
        <source>Largest message a client may send (default 16 MiB).</source>
        <translation>Tamaño máximo de un mensaje que puede enviar un cliente (por defecto 16 MiB).</translation>
    </message>
    <message>
        <source>Hold updates up to this long to send them in batches: less CPU in busy rooms, more latency (default 0).</source>
        <translation>Retener las actualizaciones hasta este tiempo para enviarlas por lotes: menos CPU en salas concurridas, más latencia (por defecto 0).</translation>
    </message>
    <message>
        <source>Language of the interface: de, en, es or fr (default: the system&apos;s).</source>
        <translation>Idioma de la interfaz: de, en, es o fr (por defecto: el del sistema).</translation>
    </message>
    <message>
        <source>Keep rooms in PostgreSQL instead of the data directory&apos;s SQLite file (postgres://user:password@host:port/db); several servers can share it.</source>
        <translation>Guardar las salas en PostgreSQL en lugar del archivo SQLite del directorio de datos (postgres://usuario:contraseña@host:puerto/bd); varios servidores pueden compartirla.</translation>
    </message>
    <message>
        <source>Share rooms with other servers through Redis at host:port (with --store postgres://… for one store).</source>
        <translation>Compartir las salas con otros servidores mediante Redis en host:puerto (con --store postgres://… para un almacenamiento común).</translation>
    </message>
</context>
</TS>
