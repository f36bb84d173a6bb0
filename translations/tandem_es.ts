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
    <message>
        <source>Issues, lists and revokes access tokens of a server&apos;s store.

  tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url URL]
  tandem token list
  tandem token revoke ID

Each takes the server&apos;s --data-dir DIR or --store postgres://… (as tandem --serve). ROOM * makes a token for every room.

Exit codes: 0 done, 1 the store cannot be used, 2 usage, 4 no such token.</source>
        <translation>Emite, lista y revoca los tokens de acceso del almacenamiento de un servidor.

  tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url URL]
  tandem token list
  tandem token revoke ID

Cada uno recibe el --data-dir DIR o el --store postgres://… del servidor (como en tandem --serve). ROOM * crea un token para todas las salas.

Códigos de salida: 0 hecho, 1 no se puede usar el almacenamiento, 2 uso incorrecto, 4 no existe el token.</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>issue, list or revoke</source>
        <translation>issue, list o revoke</translation>
    </message>
    <message>
        <source>issue: the room (* for every room); revoke: the token id</source>
        <translation>issue: la sala (* para todas las salas); revoke: el identificador del token</translation>
    </message>
    <message>
        <source>issue: read-only access.</source>
        <translation>issue: acceso de solo lectura.</translation>
    </message>
    <message>
        <source>issue: days until the token expires (default 30; 0 = never).</source>
        <translation>issue: días hasta que caduque el token (por defecto 30; 0 = nunca).</translation>
    </message>
    <message>
        <source>issue: a note for the list, e.g. who the token is for.</source>
        <translation>issue: una etiqueta para la lista, p. ej. para quién es el token.</translation>
    </message>
    <message>
        <source>issue: the server&apos;s address, to print an invite link (e.g. ws://host:1234).</source>
        <translation>issue: la dirección del servidor, para mostrar un enlace de invitación (p. ej. ws://host:1234).</translation>
    </message>
    <message>
        <source>tandem: %1 (see tandem token --help)</source>
        <translation>tandem: %1 (consulta tandem token --help)</translation>
    </message>
    <message>
        <source>token needs issue, list or revoke</source>
        <translation>token necesita issue, list o revoke</translation>
    </message>
    <message>
        <source>--store and --data-dir cannot be combined</source>
        <translation>--store y --data-dir no se pueden combinar</translation>
    </message>
    <message>
        <source>--days needs a number from 0 (never expires) to 36500</source>
        <translation>--days necesita un número de 0 (no caduca nunca) a 36500</translation>
    </message>
    <message>
        <source>--url needs the server&apos;s address such as ws://host:1234</source>
        <translation>--url necesita la dirección del servidor, como ws://host:1234</translation>
    </message>
    <message>
        <source>not a room name: %1</source>
        <translation>no es un nombre de sala: %1</translation>
    </message>
    <message>
        <source>Token id: %1</source>
        <translation>Identificador del token: %1</translation>
    </message>
    <message>
        <source>read only</source>
        <translation>solo lectura</translation>
    </message>
    <message>
        <source>read and write</source>
        <translation>lectura y escritura</translation>
    </message>
    <message>
        <source>never expires</source>
        <translation>no caduca nunca</translation>
    </message>
    <message>
        <source>expires %1</source>
        <translation>caduca el %1</translation>
    </message>
    <message>
        <source>Every room, %1, %2.</source>
        <translation>Todas las salas, %1, %2.</translation>
    </message>
    <message>
        <source>Room %1, %2, %3.</source>
        <translation>Sala %1, %2, %3.</translation>
    </message>
    <message>
        <source>Replace &lt;room&gt; in the link with the name of a room.</source>
        <translation>Sustituye &lt;room&gt; en el enlace por el nombre de una sala.</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>Almacenamiento: %1</translation>
    </message>
    <message>
        <source>tandem: no such token: %1</source>
        <translation>tandem: no existe el token: %1</translation>
    </message>
    <message>
        <source>Revoked token %1: servers using this store refuse it within seconds.</source>
        <translation>Token %1 revocado: los servidores que usan este almacenamiento lo rechazan en cuestión de segundos.</translation>
    </message>
    <message>
        <source>No tokens in %1.</source>
        <translation>No hay tokens en %1.</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>ROOM</source>
        <translation>SALA</translation>
    </message>
    <message>
        <source>ACCESS</source>
        <translation>ACCESO</translation>
    </message>
    <message>
        <source>EXPIRES</source>
        <translation>CADUCA</translation>
    </message>
    <message>
        <source>LABEL</source>
        <translation>ETIQUETA</translation>
    </message>
    <message>
        <source>REVOKED</source>
        <translation>REVOCADO</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nunca</translation>
    </message>
    <message>
        <source>%1 (expired)</source>
        <translation>%1 (caducado)</translation>
    </message>
    <message>
        <source>read</source>
        <translation>lectura</translation>
    </message>
    <message>
        <source>write</source>
        <translation>escritura</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>sí</translation>
    </message>
    <message>
        <source>no</source>
        <translation>no</translation>
    </message>
    <message>
        <source>tandem: --cert-days needs a number of days</source>
        <translation>tandem: --cert-days necesita un número de días</translation>
    </message>
    <message>
        <source>tandem: --%1 needs a number (0 for no limit)</source>
        <translation>tandem: --%1 necesita un número (0 para sin límite)</translation>
    </message>
    <message>
        <source>tandem: --invite-room needs a room name</source>
        <translation>tandem: --invite-room necesita un nombre de sala</translation>
    </message>
    <message>
        <source>tandem: --cert and --key go together</source>
        <translation>tandem: --cert y --key van juntos</translation>
    </message>
    <message>
        <source>The server&apos;s data directory (its rooms.sqlite).</source>
        <translation>El directorio de datos del servidor (su rooms.sqlite).</translation>
    </message>
    <message>
        <source>The server&apos;s PostgreSQL store instead (postgres://user:password@host:port/db).</source>
        <translation>En su lugar, el almacenamiento PostgreSQL del servidor (postgres://usuario:contraseña@host:puerto/bd).</translation>
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
    <message>
        <source>The server&apos;s certificate is not trusted yet (SHA-256 fingerprint %1)</source>
        <translation>El certificado del servidor aún no es de confianza (huella digital SHA-256 %1)</translation>
    </message>
    <message>
        <source>The server&apos;s certificate changed since you last connected: this may be someone intercepting the connection. Not connecting. (Known SHA-256 fingerprint %1, now %2)</source>
        <translation>El certificado del servidor ha cambiado desde tu última conexión: puede que alguien esté interceptando la conexión. No se establece la conexión. (Huella digital SHA-256 conocida %1, ahora %2)</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::RoomServer</name>
    <message>
        <source>cannot listen on %1:%2: %3</source>
        <translation>no se puede escuchar en %1:%2: %3</translation>
    </message>
    <message>
        <source>TLS needs both a certificate and a private key file</source>
        <translation>TLS necesita tanto un certificado como un archivo de clave privada</translation>
    </message>
</context>
<context>
    <name>Tandem::Server::TlsContext</name>
    <message>
        <source>cannot read the certificate file %1: %2</source>
        <translation>no se puede leer el archivo de certificado %1: %2</translation>
    </message>
    <message>
        <source>cannot read the private key file %1: %2</source>
        <translation>no se puede leer el archivo de clave privada %1: %2</translation>
    </message>
    <message>
        <source>%1 holds no PEM certificate (%2)</source>
        <translation>%1 no contiene ningún certificado PEM (%2)</translation>
    </message>
    <message>
        <source>%1 holds no unencrypted PEM private key (%2)</source>
        <translation>%1 no contiene ninguna clave privada PEM sin cifrar (%2)</translation>
    </message>
    <message>
        <source>cannot set up TLS: %1</source>
        <translation>no se puede configurar TLS: %1</translation>
    </message>
    <message>
        <source>cannot use the certificate in %1: %2</source>
        <translation>no se puede usar el certificado de %1: %2</translation>
    </message>
    <message>
        <source>cannot use the certificate chain in %1: %2</source>
        <translation>no se puede usar la cadena de certificados de %1: %2</translation>
    </message>
    <message>
        <source>the private key in %1 does not belong to the certificate in %2</source>
        <translation>la clave privada de %1 no corresponde al certificado de %2</translation>
    </message>
    <message>
        <source>cannot compute the certificate&apos;s fingerprint: %1</source>
        <translation>no se puede calcular la huella digital del certificado: %1</translation>
    </message>
    <message>
        <source>cannot make a certificate: %1 (%2)</source>
        <translation>no se puede crear un certificado: %1 (%2)</translation>
    </message>
    <message>
        <source>cannot make a certificate without host names or validity</source>
        <translation>no se puede crear un certificado sin nombres de host ni periodo de validez</translation>
    </message>
    <message>
        <source>cannot make a certificate for %1: not a host name</source>
        <translation>no se puede crear un certificado para %1: no es un nombre de host</translation>
    </message>
    <message>
        <source>cannot write %1: %2</source>
        <translation>no se puede escribir %1: %2</translation>
    </message>
    <message>
        <source>this build of Tandem has no TLS support (OpenSSL)</source>
        <translation>esta versión de Tandem no admite TLS (OpenSSL)</translation>
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
        <source>Cannot host the room</source>
        <translation>No se puede alojar la sala</translation>
    </message>
    <message>
        <source>Room hosted</source>
        <translation>Sala alojada</translation>
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
    <message>
        <source>Unknown certificate</source>
        <translation>Certificado desconocido</translation>
    </message>
    <message>
        <source>&lt;p&gt;The server &lt;b&gt;%1&lt;/b&gt; uses a certificate that is not signed by an authority this computer trusts (a self-signed certificate, as Tandem makes).&lt;/p&gt;&lt;p&gt;Compare its SHA-256 fingerprint with the one the host sees (ask them over another channel):&lt;/p&gt;%2</source>
        <translation>&lt;p&gt;El servidor &lt;b&gt;%1&lt;/b&gt; usa un certificado que no está firmado por una autoridad en la que confíe este equipo (un certificado autofirmado, como los que crea Tandem).&lt;/p&gt;&lt;p&gt;Compara su huella digital SHA-256 con la que ve el anfitrión (pregúntale por otro canal):&lt;/p&gt;%2</translation>
    </message>
    <message>
        <source>Trust and connect</source>
        <translation>Confiar y conectar</translation>
    </message>
    <message>
        <source>The server&apos;s certificate changed</source>
        <translation>El certificado del servidor ha cambiado</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;The certificate of %1 is not the one you trusted before.&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Someone may be intercepting the connection, or the host made a new certificate. Tandem did not connect. Ask the host which fingerprint their server has now.&lt;/p&gt;&lt;p&gt;Trusted before:&lt;/p&gt;%2&lt;p&gt;Now:&lt;/p&gt;%3</source>
        <translation>&lt;p&gt;&lt;b&gt;El certificado de %1 no es aquel en el que confiaste antes.&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Puede que alguien esté interceptando la conexión o que el anfitrión haya creado un certificado nuevo. Tandem no se ha conectado. Pregunta al anfitrión qué huella digital tiene ahora su servidor.&lt;/p&gt;&lt;p&gt;De confianza hasta ahora:&lt;/p&gt;%2&lt;p&gt;Ahora:&lt;/p&gt;%3</translation>
    </message>
    <message>
        <source>Trust the new certificate</source>
        <translation>Confiar en el certificado nuevo</translation>
    </message>
    <message>
        <source>Connected, read-only: you can read along but not change notes</source>
        <translation>Conectado, solo lectura: puedes leer pero no cambiar las notas</translation>
    </message>
    <message>
        <source>Not connected: %1. Your changes are kept on this computer.</source>
        <translation>No conectado: %1. Tus cambios se conservan en este equipo.</translation>
    </message>
    <message>
        <source>Port for teammates to connect to</source>
        <translation>Puerto al que se conectan tus compañeros</translation>
    </message>
    <message>
        <source>Room name</source>
        <translation>Nombre de la sala</translation>
    </message>
    <message>
        <source>&amp;Encrypt (wss://)</source>
        <translation>Ci&amp;frar (wss://)</translation>
    </message>
    <message>
        <source>Teammates connect over TLS. The certificate is self-signed: the first time, they compare its fingerprint with the one shown here.</source>
        <translation>Tus compañeros se conectan mediante TLS. El certificado es autofirmado: la primera vez, comparan su huella digital con la que se muestra aquí.</translation>
    </message>
    <message>
        <source>&amp;Port for teammates to connect to:</source>
        <translation>&amp;Puerto al que se conectan tus compañeros:</translation>
    </message>
    <message>
        <source>&amp;Room name:</source>
        <translation>&amp;Nombre de la sala:</translation>
    </message>
    <message>
        <source>Only people with a link can join. The links are valid for 30 days.</source>
        <translation>Solo pueden unirse las personas con un enlace. Los enlaces son válidos durante 30 días.</translation>
    </message>
    <message>
        <source>Copy: %1</source>
        <translation>Copiar: %1</translation>
    </message>
    <message>
        <source>For teammates who may &amp;edit:</source>
        <translation>Para compañeros que pueden &amp;editar:</translation>
    </message>
    <message>
        <source>For guests who may only &amp;read:</source>
        <translation>Para invitados que solo pueden &amp;leer:</translation>
    </message>
    <message>
        <source>&lt;p&gt;The certificate&apos;s SHA-256 fingerprint, for them to compare when Tandem asks:&lt;/p&gt;%1</source>
        <translation>&lt;p&gt;La huella digital SHA-256 del certificado, para que la comparen cuando Tandem lo pida:&lt;/p&gt;%1</translation>
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
    <message>
        <source>Serve wss:// (TLS) with this PEM certificate chain (with --key).</source>
        <translation>Servir wss:// (TLS) con esta cadena de certificados PEM (con --key).</translation>
    </message>
    <message>
        <source>The PEM private key of --cert (unencrypted).</source>
        <translation>La clave privada PEM de --cert (sin cifrar).</translation>
    </message>
    <message>
        <source>With --serve: write a self-signed certificate and key (cert.pem, key.pem) into this directory, print its fingerprint and exit.</source>
        <translation>Con --serve: escribir un certificado autofirmado y su clave (cert.pem, key.pem) en este directorio, mostrar su huella digital y salir.</translation>
    </message>
    <message>
        <source>A host name or IP address the generated certificate is for (repeatable; default: this machine&apos;s names and addresses).</source>
        <translation>Un nombre de host o una dirección IP para el certificado generado (repetible; por defecto: los nombres y direcciones de este equipo).</translation>
    </message>
    <message>
        <source>How long the generated certificate is valid (default 825).</source>
        <translation>Validez del certificado generado (por defecto 825).</translation>
    </message>
    <message>
        <source>Admit only clients whose link carries an access token (see `tandem token`); prints an invite link at start.</source>
        <translation>Admitir solo clientes cuyo enlace lleve un token de acceso (consulta `tandem token`); muestra un enlace de invitación al iniciar.</translation>
    </message>
    <message>
        <source>Room of the invite link printed with --require-token (default notes).</source>
        <translation>Sala del enlace de invitación que muestra --require-token (por defecto notes).</translation>
    </message>
    <message>
        <source>Connections one address may hold (0: no limit; default 64).</source>
        <translation>Conexiones que puede mantener una dirección (0: sin límite; por defecto 64).</translation>
    </message>
    <message>
        <source>Messages per second a connection may send on average (bursts of ten times as many pass; 0: no limit; default 200).</source>
        <translation>Mensajes por segundo que una conexión puede enviar de media (pasan ráfagas de diez veces más; 0: sin límite; por defecto 200).</translation>
    </message>
    <message>
        <source>Bytes per second a connection may send on average, past a burst of 32 MiB (0: no limit; default 1 MiB).</source>
        <translation>Bytes por segundo que una conexión puede enviar de media, tras una ráfaga de 32 MiB (0: sin límite; por defecto 1 MiB).</translation>
    </message>
    <message>
        <source>Rooms open at once (0: no limit; default 10000).</source>
        <translation>Salas abiertas a la vez (0: sin límite; por defecto 10000).</translation>
    </message>
    <message>
        <source>Stored size one room may reach (0: no limit; default 64 MiB).</source>
        <translation>Tamaño almacenado que puede alcanzar una sala (0: sin límite; por defecto 64 MiB).</translation>
    </message>
    <message>
        <source>Memory for open rooms, estimated at ten times their stored size (0: no limit; default 2 GiB); beyond it idle rooms close and growth is refused.</source>
        <translation>Memoria para las salas abiertas, estimada en diez veces su tamaño almacenado (0: sin límite; por defecto 2 GiB); por encima, las salas inactivas se cierran y se rechaza su crecimiento.</translation>
    </message>
</context>
</TS>
