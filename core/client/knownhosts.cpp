// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/client/knownhosts.h"

#include <QCryptographicHash>
#include <QSettings>
#include <QSslCertificate>
#include <QStringList>

namespace Tandem::Client {

namespace {

QSettings *g_settings = nullptr;

const QString &group()
{
    static const QString name = QStringLiteral("knownHosts");
    return name;
}

/// QSettings treats '/' and '\' in keys as group separators; a host:port has neither, but a
/// key is never trusted to be one.
QString keyOf(const QString &hostPort)
{
    QString key = hostPort;
    key.replace(QLatin1Char('/'), QLatin1Char('_')).replace(QLatin1Char('\\'), QLatin1Char('_'));
    return key;
}

template<typename F> auto withSettings(F f)
{
    if (g_settings) {
        g_settings->beginGroup(group());
        auto result = f(*g_settings);
        g_settings->endGroup();
        return result;
    }
    QSettings settings;
    settings.beginGroup(group());
    return f(settings);
}

} // namespace

QString KnownHosts::hostPort(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    const int fallback
            = scheme == QLatin1String("wss") || scheme == QLatin1String("https") ? 443 : 80;
    QString host = url.host().toLower();
    if (host.contains(QLatin1Char(':'))) {
        host = QLatin1Char('[') + host + QLatin1Char(']');
    }
    return host + QLatin1Char(':') + QString::number(url.port(fallback));
}

QString KnownHosts::fingerprint(const QString &hostPort)
{
    return withSettings([&](QSettings &s) { return s.value(keyOf(hostPort)).toString(); });
}

void KnownHosts::remember(const QString &hostPort, const QString &fingerprint)
{
    withSettings([&](QSettings &s) {
        s.setValue(keyOf(hostPort), fingerprint.toUpper());
        s.sync();
        return 0;
    });
}

void KnownHosts::forget(const QString &hostPort)
{
    withSettings([&](QSettings &s) {
        s.remove(keyOf(hostPort));
        s.sync();
        return 0;
    });
}

QString KnownHosts::fingerprintOf(const QSslCertificate &certificate)
{
    if (certificate.isNull()) {
        return QString();
    }
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
}

QString KnownHosts::grouped(const QString &fingerprint)
{
    const QStringList bytes = fingerprint.split(QLatin1Char(':'));
    QStringList lines;
    QStringList line;
    QStringList group;
    for (const QString &b : bytes) {
        group << b;
        if (group.size() == 4) {
            line << group.join(QLatin1Char(':'));
            group.clear();
        }
        if (line.size() == 2) {
            lines << line.join(QStringLiteral("  "));
            line.clear();
        }
    }
    if (!group.isEmpty()) {
        line << group.join(QLatin1Char(':'));
    }
    if (!line.isEmpty()) {
        lines << line.join(QStringLiteral("  "));
    }
    return lines.join(QLatin1Char('\n'));
}

void KnownHosts::setSettings(QSettings *settings)
{
    g_settings = settings;
}

} // namespace Tandem::Client
