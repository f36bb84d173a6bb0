// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/tls.h"

#include "core/server/nativesocket.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QUrl>

#ifdef TANDEM_HAVE_TLS
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif

#include <climits>
#include <utility>
#include <vector>

namespace Tandem::Server {

QString fingerprintFromDigest(const QByteArray &digest)
{
    return QString::fromLatin1(digest.toHex(':').toUpper());
}

#ifdef TANDEM_HAVE_TLS

namespace {

/// OpenSSL's error queue as one line (and emptied), or @p fallback when it is empty.
QString takeErrors(const QString &fallback = QString())
{
    QStringList parts;
    while (const unsigned long e = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(e, buffer, sizeof buffer);
        const char *reason = ERR_reason_error_string(e);
        parts << QString::fromLatin1(reason ? reason : buffer);
    }
    parts.removeDuplicates();
    return parts.isEmpty() ? fallback : parts.join(QStringLiteral("; "));
}

// A socket BIO of our own. OpenSSL's writes with write(), which raises SIGPIPE when the peer
// has gone; this one sends as the plain connection does (MSG_NOSIGNAL, or SO_NOSIGPIPE on
// macOS, set on the socket by the connection).
int socketRead(qintptr fd, char *buffer, int size)
{
    return int(NativeSocket::receive(fd, buffer, size_t(size)));
}
int socketWrite(qintptr fd, const char *data, int size)
{
    return int(NativeSocket::send(fd, data, size_t(size)));
}

qintptr fdOf(BIO *bio)
{
    return qintptr(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
}

int bioWrite(BIO *bio, const char *data, int size)
{
    BIO_clear_retry_flags(bio);
    const int n = socketWrite(fdOf(bio), data, size);
    if (n < 0 && NativeSocket::wouldBlock()) {
        BIO_set_retry_write(bio);
    }
    return n;
}

int bioRead(BIO *bio, char *buffer, int size)
{
    BIO_clear_retry_flags(bio);
    const int n = socketRead(fdOf(bio), buffer, size);
    if (n < 0 && NativeSocket::wouldBlock()) {
        BIO_set_retry_read(bio);
    }
    return n;
}

int bioPuts(BIO *bio, const char *s)
{
    return bioWrite(bio, s, int(qstrlen(s)));
}

long bioCtrl(BIO *, int cmd, long, void *)
{
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; // the socket has nothing to flush
}

int bioCreate(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD *socketMethod()
{
    static BIO_METHOD *method = [] {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tandem socket");
        BIO_meth_set_write(m, bioWrite);
        BIO_meth_set_read(m, bioRead);
        BIO_meth_set_puts(m, bioPuts);
        BIO_meth_set_ctrl(m, bioCtrl);
        BIO_meth_set_create(m, bioCreate);
        return m;
    }();
    return method;
}

struct BioDeleter
{
    void operator()(BIO *b) const { BIO_free(b); }
};
struct X509Deleter
{
    void operator()(X509 *x) const { X509_free(x); }
};
struct PkeyDeleter
{
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

/// @p failed: the message if it cannot be read (%1 the file, %2 why).
bool readFile(const QString &path, const QString &failed, QByteArray *data, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = failed.arg(QDir::toNativeSeparators(path), f.errorString());
        return false;
    }
    *data = f.readAll();
    return true;
}

BioPtr memoryBio(const QByteArray &data)
{
    return BioPtr(BIO_new_mem_buf(data.constData(), int(data.size())));
}

} // namespace

bool TlsContext::available()
{
    return true;
}

std::unique_ptr<TlsContext> TlsContext::load(const QString &certFile, const QString &keyFile,
                                             QString *error)
{
    ERR_clear_error();
    QByteArray certPem;
    QByteArray keyPem;
    if (!readFile(certFile, tr("cannot read the certificate file %1: %2"), &certPem, error)
        || !readFile(keyFile, tr("cannot read the private key file %1: %2"), &keyPem, error)) {
        return nullptr;
    }
    const QString certName = QDir::toNativeSeparators(certFile);
    const QString keyName = QDir::toNativeSeparators(keyFile);

    BioPtr certBio = memoryBio(certPem);
    X509Ptr leaf(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
    if (!leaf) {
        *error = tr("%1 holds no PEM certificate (%2)").arg(certName, takeErrors());
        return nullptr;
    }
    std::vector<X509Ptr> chain;
    while (X509 *next = PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr)) {
        chain.emplace_back(next);
    }
    ERR_clear_error(); // the end of the file is reported as an error

    BioPtr keyBio = memoryBio(keyPem);
    PkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        *error = tr("%1 holds no unencrypted PEM private key (%2)").arg(keyName, takeErrors());
        return nullptr;
    }

    std::unique_ptr<TlsContext> context(new TlsContext);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        *error = tr("cannot set up TLS: %1").arg(takeErrors());
        return nullptr;
    }
    context->m_ctx = ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx,
                        SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION
                                | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                             | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);

    if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
        *error = tr("cannot use the certificate in %1: %2").arg(certName, takeErrors());
        return nullptr;
    }
    for (X509Ptr &c : chain) {
        if (SSL_CTX_add0_chain_cert(ctx, c.get()) != 1) {
            *error = tr("cannot use the certificate chain in %1: %2").arg(certName, takeErrors());
            return nullptr;
        }
        c.release(); // owned by the context now
    }
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        *error = tr("the private key in %1 does not belong to the certificate in %2")
                         .arg(keyName, certName);
        return nullptr;
    }

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(leaf.get(), EVP_sha256(), digest, &length) != 1) {
        *error = tr("cannot compute the certificate's fingerprint: %1").arg(takeErrors());
        return nullptr;
    }
    context->m_fingerprint = fingerprintFromDigest(
            QByteArray(reinterpret_cast<const char *>(digest), int(length)));
    return context;
}

TlsContext::~TlsContext()
{
    SSL_CTX_free(m_ctx);
}

TlsSession::TlsSession(const TlsContext &context, qintptr fd)
{
    m_ssl = SSL_new(context.native());
    if (!m_ssl) {
        m_failed = true;
        m_error = takeErrors(QStringLiteral("out of memory"));
        return;
    }
    BIO *bio = BIO_new(socketMethod());
    BIO_set_data(bio, reinterpret_cast<void *>(intptr_t(fd)));
    SSL_set_bio(m_ssl, bio, bio); // one reference for both directions, owned by the session
    SSL_set_accept_state(m_ssl);
}

TlsSession::~TlsSession()
{
    SSL_free(m_ssl);
}

TlsSession::Result TlsSession::resultOf(int ret)
{
    const int e = SSL_get_error(m_ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return Result::WantRead;
    case SSL_ERROR_WANT_WRITE:
        return Result::WantWrite;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return Result::Closed; // close_notify
    case SSL_ERROR_SYSCALL:
        m_failed = true; // no close_notify may follow
        if (ERR_peek_error() == 0) {
            m_error = QStringLiteral("connection closed");
            return Result::Closed; // EOF (a peer that did not say goodbye) or a reset
        }
        m_error = takeErrors();
        return Result::Error;
    default:
        m_failed = true;
        m_error = takeErrors(QStringLiteral("TLS error %1").arg(e));
        return Result::Error;
    }
}

TlsSession::Result TlsSession::handshake()
{
    if (m_failed) {
        return Result::Error;
    }
    ERR_clear_error();
    const int ret = SSL_do_handshake(m_ssl);
    if (ret == 1) {
        m_established = true;
        return Result::Ok;
    }
    return resultOf(ret);
}

size_t TlsSession::read(uint8_t *buffer, size_t size, Result *result)
{
    if (m_failed) {
        *result = Result::Error;
        return 0;
    }
    ERR_clear_error();
    size_t got = 0;
    if (SSL_read_ex(m_ssl, buffer, size, &got) == 1) {
        *result = Result::Ok;
        return got;
    }
    *result = resultOf(0);
    return 0;
}

size_t TlsSession::write(const char *data, size_t size, Result *result)
{
    if (m_failed) {
        *result = Result::Error;
        return 0;
    }
    ERR_clear_error();
    size_t written = 0;
    if (SSL_write_ex(m_ssl, data, size, &written) == 1) {
        *result = Result::Ok;
        return written;
    }
    *result = resultOf(0);
    return 0;
}

bool TlsSession::pending() const
{
    return m_ssl && SSL_has_pending(m_ssl) == 1;
}

void TlsSession::shutdown()
{
    if (!m_ssl || !m_established || m_failed || m_shutdownSent) {
        return;
    }
    m_shutdownSent = true;
    ERR_clear_error();
    SSL_shutdown(m_ssl); // best effort: a full socket loses it, which the peer survives
    ERR_clear_error();
}

bool generateSelfSignedCertificate(const QString &certPath, const QString &keyPath,
                                   const QStringList &hostNames, int days, QString *error)
{
    ERR_clear_error();
    const auto failed = [error](const QString &what) {
        *error = TlsContext::tr("cannot make a certificate: %1 (%2)").arg(what, takeErrors());
        return false;
    };
    if (hostNames.isEmpty() || days <= 0) {
        *error = TlsContext::tr("cannot make a certificate without host names or validity");
        return false;
    }

    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
        return failed(QStringLiteral("key generation failed"));
    }
    X509Ptr cert(X509_new());
    X509 *x = cert.get();
    X509_set_version(x, 2); // v3
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        return failed(QStringLiteral("no random numbers"));
    }
    serial[0] &= 0x7F; // positive
    serial[0] |= 0x01; // and no leading zero byte
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600); // clocks differ a little
    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, nullptr);
    X509_set_pubkey(x, key.get());

    X509_NAME *name = X509_get_subject_name(x);
    const QByteArray cn = hostNames.first().toUtf8().left(64);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>("Tandem"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(cn.constData()),
                               int(cn.size()), -1, 0);
    X509_set_issuer_name(x, name);

    // subjectAltName: what clients actually check, each name as what it is.
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    for (const QString &host : hostNames) {
        GENERAL_NAME *g = nullptr;
        QHostAddress address;
        if (address.setAddress(host)) {
            const QByteArray text = address.toString().toLatin1();
            ASN1_OCTET_STRING *ip = a2i_IPADDRESS(text.constData());
            if (ip) {
                g = GENERAL_NAME_new();
                GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
            }
        } else {
            const QByteArray dns = QUrl::toAce(host);
            if (dns.isEmpty()) {
                sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
                *error = TlsContext::tr("cannot make a certificate for %1: not a host name")
                                 .arg(host);
                return false;
            }
            ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
            ASN1_STRING_set(ia5, dns.constData(), int(dns.size()));
            g = GENERAL_NAME_new();
            GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
        }
        if (g) {
            sk_GENERAL_NAME_push(names, g);
        }
    }
    const bool sanAdded
            = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
    sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
    if (!sanAdded) {
        return failed(QStringLiteral("subjectAltName"));
    }

    // No keyUsage: one without keyCertSign makes OpenSSL (and so node, curl, Qt) stop treating
    // the certificate as self-issued, and then it cannot be its own trust anchor.
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    const std::pair<int, const char *> extensions[] = {
            {NID_basic_constraints, "critical,CA:FALSE"},
            {NID_ext_key_usage, "serverAuth"},
            {NID_subject_key_identifier, "hash"},
    };
    for (const auto &[nid, value] : extensions) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
        if (!ext || X509_add_ext(x, ext, -1) != 1) {
            X509_EXTENSION_free(ext);
            return failed(QStringLiteral("extension %1").arg(QLatin1String(OBJ_nid2sn(nid))));
        }
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(x, key.get(), EVP_sha256()) == 0) {
        return failed(QStringLiteral("signing failed"));
    }

    const auto pem = [](auto write) {
        BioPtr bio(BIO_new(BIO_s_mem()));
        if (!write(bio.get())) {
            return QByteArray();
        }
        char *data = nullptr;
        const long size = BIO_get_mem_data(bio.get(), &data);
        return QByteArray(data, qsizetype(size));
    };
    const QByteArray keyPem = pem([&](BIO *b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    });
    const QByteArray certPem = pem([&](BIO *b) { return PEM_write_bio_X509(b, x) == 1; });
    if (keyPem.isEmpty() || certPem.isEmpty()) {
        return failed(QStringLiteral("PEM encoding failed"));
    }

    const auto writeFile = [error](const QString &path, const QByteArray &data,
                                   QFileDevice::Permissions permissions) {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile::remove(path); // a new file gets the permissions below from the start
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, permissions)
            || f.write(data) != data.size() || !f.flush()) {
            *error = TlsContext::tr("cannot write %1: %2")
                             .arg(QDir::toNativeSeparators(path), f.errorString());
            return false;
        }
        f.setPermissions(permissions);
        return true;
    };
    return writeFile(keyPath, keyPem, QFileDevice::ReadOwner | QFileDevice::WriteOwner)
            && writeFile(certPath, certPem,
                         QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
                                 | QFileDevice::ReadOther);
}

#else // no OpenSSL in this build

namespace {
QString unavailable()
{
    return TlsContext::tr("this build of Tandem has no TLS support (OpenSSL)");
}
} // namespace

bool TlsContext::available()
{
    return false;
}

std::unique_ptr<TlsContext> TlsContext::load(const QString &, const QString &, QString *error)
{
    *error = unavailable();
    return nullptr;
}

TlsContext::~TlsContext() = default;

TlsSession::TlsSession(const TlsContext &, qintptr) : m_failed(true) { }
TlsSession::~TlsSession() = default;
TlsSession::Result TlsSession::handshake()
{
    return Result::Error;
}
size_t TlsSession::read(uint8_t *, size_t, Result *result)
{
    *result = Result::Error;
    return 0;
}
size_t TlsSession::write(const char *, size_t, Result *result)
{
    *result = Result::Error;
    return 0;
}
void TlsSession::shutdown() { }
bool TlsSession::pending() const
{
    return false;
}

bool generateSelfSignedCertificate(const QString &, const QString &, const QStringList &, int,
                                   QString *error)
{
    *error = unavailable();
    return false;
}

#endif

} // namespace Tandem::Server
