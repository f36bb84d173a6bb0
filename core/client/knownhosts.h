// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QUrl>

class QSettings;
class QSslCertificate;

namespace Tandem::Client {

/// Trust on first use for servers with certificates nobody vouches for (a self-signed
/// `tandem --serve --cert`): the SHA-256 fingerprint of the certificate the user accepted, per
/// host:port, in QSettings (group "knownHosts").
///
/// A certificate that validates against the system's CAs never gets here. One that does not is
/// accepted only if its fingerprint is the one remembered for that exact host:port; the
/// Transport reports an unknown one (Transport::certificateUnknown) and a changed one
/// (Transport::certificateChanged) instead of connecting.
class KnownHosts
{
public:
    /// "host:port" of a ws:// or wss:// URL (the scheme's default port when there is none;
    /// host in lower case, IPv6 in brackets).
    static QString hostPort(const QUrl &url);
    /// The remembered fingerprint for @p hostPort, or empty.
    static QString fingerprint(const QString &hostPort);
    /// Trusts the certificate with @p fingerprint for @p hostPort from now on (replaces one
    /// remembered before).
    static void remember(const QString &hostPort, const QString &fingerprint);
    static void forget(const QString &hostPort);

    /// SHA-256 of the certificate (DER) as uppercase hex pairs "AB:CD:…", as the server prints.
    static QString fingerprintOf(const QSslCertificate &certificate);
    /// @p fingerprint for people to compare: groups of four bytes, two groups a line.
    static QString grouped(const QString &fingerprint);

    /// Where fingerprints are kept; null (the default) is the application's QSettings. For
    /// tests; the caller keeps @p settings alive while it is set.
    static void setSettings(QSettings *settings);
};

} // namespace Tandem::Client
