// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/client/session.h"

#include "core/client/clientlog.h"
#include "core/storage/roomstore.h"

#include <random>

namespace Tandem::Client {

namespace {

Crdt::ClientId randomClientId()
{
    std::random_device rd;
    return std::uniform_int_distribution<uint32_t>()(rd);
}

std::span<const uint8_t> span(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}

} // namespace

Session::Session(const QUrl &roomUrl, Storage::RoomStore &store, Clock &clock,
                 TransportOptions transport, QObject *parent)
    : QObject(parent), m_url(roomUrl), m_key(storeKey(roomUrl)), m_store(store), m_clock(clock),
      m_doc(randomClientId()),
      m_awareness(m_doc.clientId(), [&clock] { return uint64_t(clock.nowMs()); }),
      m_transport(clock, transport)
{ }

Session::~Session()
{
    close();
}

QString Session::storeKey(const QUrl &roomUrl)
{
    return roomUrl.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo)
            .toString(QUrl::FullyEncoded);
}

bool Session::open(QString *error)
{
    auto stored = m_store.load(m_key, error);
    if (!stored) {
        return false;
    }
    auto apply = [&](const QByteArray &bytes) {
        if (bytes.isEmpty()) {
            return true;
        }
        if (const auto err = m_doc.applyUpdate(span(bytes))) {
            *error = tr("the local copy of %1 is damaged: %2")
                             .arg(m_url.toDisplayString(), QString::fromStdString(err.toString()));
            return false;
        }
        return true;
    };
    if (!apply(stored->snapshot)) {
        return false;
    }
    for (const QByteArray &u : stored->updates) {
        if (!apply(u)) {
            return false;
        }
    }
    m_lastSeq = stored->lastSeq;
    m_sinceSnapshot = int(stored->updates.size());
    // Subscribed before the provider: every change is on disk before it is sent.
    m_storeSub = m_doc.onUpdate(
            [this](std::span<const uint8_t> update, const Crdt::Transaction &) { store(update); });
    m_provider = std::make_unique<Provider>(m_doc, m_awareness, m_transport, m_clock);
    m_transport.open(m_url);
    return true;
}

void Session::store(std::span<const uint8_t> update)
{
    QString error;
    const std::vector<std::vector<uint8_t>> batch {{update.begin(), update.end()}};
    const auto seq = m_store.append(m_key, batch, &error);
    if (!seq) {
        if (m_storageError != error) {
            qCWarning(lcClient).noquote() << "cannot store a change locally:" << error;
            m_storageError = error;
            Q_EMIT storageFailed(error);
        }
        return;
    }
    if (!m_storageError.isEmpty()) {
        // The disk has room again: store the whole document so nothing kept only in memory
        // is missing.
        m_storageError.clear();
        m_lastSeq = *seq;
        compact();
        return;
    }
    m_lastSeq = *seq;
    if (++m_sinceSnapshot >= compactEvery) {
        compact();
    }
}

void Session::compact()
{
    QString error;
    if (m_store.compact(m_key, m_doc.encodeStateAsUpdate(), m_lastSeq, &error)) {
        m_sinceSnapshot = 0;
    } else {
        qCWarning(lcClient).noquote() << "cannot compact the local copy:" << error;
    }
}

void Session::close()
{
    if (!m_provider) {
        return;
    }
    m_provider.reset(); // a null presence goes out, then the transport closes
    m_doc.unsubscribe(m_storeSub);
    if (m_storageError.isEmpty()) {
        compact();
    }
}

} // namespace Tandem::Client
