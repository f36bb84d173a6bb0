// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// TLS for the room server (wss://), on OpenSSL. No OpenSSL header leaks out of here: the
// connection code sees a context, a session and results.
//
// Without OpenSSL (TANDEM_HAVE_TLS undefined: only possible off Linux) everything here still
// links, but loading a context and generating a certificate fail with a clear error, so no
// session is ever made.

#include <QCoreApplication>
#include <QString>
#include <QStringList>

#include <cstddef>
#include <cstdint>
#include <memory>

struct ssl_ctx_st;
struct ssl_st;

namespace Tandem::Server {

/// What the server needs to speak TLS: its certificate chain and private key, loaded once and
/// shared by every connection. TLS 1.2 at least; no renegotiation, no session tickets or
/// cache (a notes server has long-lived connections, not many short ones).
class TlsContext
{
    Q_DECLARE_TR_FUNCTIONS(Tandem::Server::TlsContext)
public:
    /// Loads a PEM certificate chain (the server's certificate first, then intermediates) and
    /// a PEM private key; null with a readable @p error when a file is missing or unreadable,
    /// is not PEM, or the key does not belong to the certificate.
    static std::unique_ptr<TlsContext> load(const QString &certFile, const QString &keyFile,
                                            QString *error);
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    /// SHA-256 of the server certificate (DER), as uppercase hex pairs "AB:CD:…" — what a
    /// client compares when it has to decide whether to trust a self-signed certificate.
    QString fingerprint() const { return m_fingerprint; }

    ssl_ctx_st *native() const { return m_ctx; }

    /// Whether this build has TLS at all.
    static bool available();

private:
    TlsContext() = default;
    ssl_ctx_st *m_ctx = nullptr;
    QString m_fingerprint;
};

/// The TLS side of one server connection on a non-blocking socket. Reads and writes go
/// straight to the socket (no memory BIOs, no extra copy); buffers are released while the
/// connection is idle.
///
/// Rules the caller keeps (they are OpenSSL's):
/// - read() until it says WantRead: OpenSSL may hold decrypted data the poller cannot see.
/// - After write() said WantWrite, retry with the same bytes first (more may follow them);
///   the buffer may move meanwhile.
class TlsSession
{
public:
    enum class Result : uint8_t {
        Ok,
        WantRead, ///< come back when the socket is readable
        WantWrite, ///< come back when the socket is writable
        Closed, ///< the peer ended the connection (close_notify or EOF)
        Error, ///< fatal; errorString() says why
    };

    TlsSession(const TlsContext &context, qintptr fd);
    ~TlsSession();
    TlsSession(const TlsSession &) = delete;
    TlsSession &operator=(const TlsSession &) = delete;

    bool established() const { return m_established; }
    /// Advances the server handshake; Ok once it is complete.
    Result handshake();
    /// Decrypted bytes into @p buffer: > 0 bytes read, else 0 and @p result says why.
    size_t read(uint8_t *buffer, size_t size, Result *result);
    /// Bytes taken (they may be fewer than @p size), else 0 and @p result says why.
    size_t write(const char *data, size_t size, Result *result);
    /// Whether OpenSSL holds received bytes not returned by read() yet.
    bool pending() const;
    /// Sends close_notify once, if the session is in a state where that is allowed. Does not
    /// wait for the peer's.
    void shutdown();
    /// Why the last call failed.
    QString errorString() const { return m_error; }

private:
    Result resultOf(int ret);

    ssl_st *m_ssl = nullptr;
    QString m_error;
    bool m_established = false;
    bool m_failed = false;
    bool m_shutdownSent = false;
};

/// Makes a self-signed server certificate (EC P-256, SHA-256, valid @p days) for
/// @p hostNames — DNS names and IP addresses alike, all in the subjectAltName — and writes
/// it and its private key as PEM (the key file readable by its owner only). Overwrites both.
bool generateSelfSignedCertificate(const QString &certPath, const QString &keyPath,
                                   const QStringList &hostNames, int days, QString *error);

/// "AB:CD:…" for raw digest bytes.
QString fingerprintFromDigest(const QByteArray &digest);

} // namespace Tandem::Server
