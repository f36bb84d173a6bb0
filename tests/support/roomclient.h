// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A y-websocket protocol client made of Tandem's own Doc and Awareness on a QWebSocket, and an
// in-process room server on 127.0.0.1:0 with a real SQLite file: what the server tests drive.

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/encoding/utf.h"
#include "core/protocol/awareness.h"
#include "core/protocol/messages.h"
#include "core/server/roomserver.h"
#include "core/storage/sqliteroomstore.h"

#include <QSignalSpy>
#include <QTest>
#include <QWebSocket>

namespace Tandem::Testing {

inline std::span<const uint8_t> span(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}

inline QByteArray bytes(std::span<const uint8_t> s)
{
    return QByteArray(reinterpret_cast<const char *>(s.data()), qsizetype(s.size()));
}

/// A protocol client: a Doc and an Awareness kept in sync with one room.
class RoomClient : public QObject
{
public:
    explicit RoomClient(Tandem::Crdt::ClientId id) : doc(id), awareness(id)
    {
        connect(&ws, &QWebSocket::binaryMessageReceived, this, &RoomClient::onMessage);
        connect(&ws, &QWebSocket::disconnected, this, [this] {
            closeCode = int(ws.closeCode());
            closeReason = ws.closeReason();
        });
        doc.onUpdate([this](std::span<const uint8_t> u, const Tandem::Crdt::Transaction &tr) {
            if (tr.origin != this && ws.state() == QAbstractSocket::ConnectedState) {
                ws.sendBinaryMessage(bytes(Tandem::Protocol::encodeSyncUpdate(u)));
            }
        });
        awareness.onUpdate = [this](const Tandem::Protocol::Awareness::Changes &c,
                                    const void *origin) {
            if (origin == this || ws.state() != QAbstractSocket::ConnectedState) {
                return;
            }
            ws.sendBinaryMessage(
                    bytes(Tandem::Protocol::encodeAwareness(awareness.encodeUpdate(c.all()))));
        };
    }

    bool open(const QUrl &url)
    {
        QSignalSpy connected(&ws, &QWebSocket::connected);
        ws.open(url);
        if (!connected.wait(5000)) {
            return false;
        }
        ws.sendBinaryMessage(bytes(Tandem::Protocol::encodeSyncStep1(doc.encodeStateVector())));
        return true;
    }

    void onMessage(const QByteArray &message)
    {
        ++messages;
        const auto m = Tandem::Protocol::decodeMessage(span(message));
        QVERIFY2(m, "the server sent a malformed message");
        if (m->type == Tandem::Protocol::MessageType::Sync) {
            if (m->step == Tandem::Protocol::SyncStep::Step1) {
                ++step1s;
                const auto diff = doc.encodeStateAsUpdate(m->payload);
                ws.sendBinaryMessage(bytes(Tandem::Protocol::encodeSyncStep2(*diff)));
            } else {
                synced = synced || m->step == Tandem::Protocol::SyncStep::Step2;
                updates += m->step == Tandem::Protocol::SyncStep::Update ? 1 : 0;
                QVERIFY(!doc.applyUpdate(m->payload, this));
            }
        } else if (m->type == Tandem::Protocol::MessageType::Awareness) {
            ++awarenessMessages;
            QVERIFY(!awareness.applyUpdate(m->payload, this));
        }
    }

    bool waitSynced(int timeoutMs = 5000)
    {
        return QTest::qWaitFor([this] { return synced; }, timeoutMs);
    }
    /// Until the server closed the connection (closeCode and closeReason are set).
    bool waitClosed(int timeoutMs = 5000)
    {
        return QTest::qWaitFor([this] { return closeCode >= 0; }, timeoutMs);
    }

    std::string text() { return Tandem::Encoding::toUtf8(doc.getText("text").toString()); }
    void insert(uint64_t at, std::u16string_view s) { doc.getText("text").insert(at, s); }

    QWebSocket ws;
    Tandem::Crdt::Doc doc;
    Tandem::Protocol::Awareness awareness;
    int messages = 0;
    int step1s = 0;
    int updates = 0;
    int awarenessMessages = 0;
    bool synced = false;
    int closeCode = -1;
    QString closeReason;
};

struct ServerFixture
{
    explicit ServerFixture(const QString &dir, Tandem::Server::ServerOptions options = {})
    {
        options.port = 0;
        if (options.unloadDelayMs == Tandem::Server::ServerOptions {}.unloadDelayMs) {
            options.unloadDelayMs = 0; // tests see unloading at once unless they ask otherwise
        }
        auto s = std::make_unique<Tandem::Storage::SqliteRoomStore>(
                dir + QStringLiteral("/rooms.sqlite"));
        store = s.get();
        server = std::make_unique<Tandem::Server::RoomServer>(options, std::move(s));
        QString error;
        ok = server->listen(&error);
        if (!ok) {
            qWarning("%s", qPrintable(error));
        }
    }
    QUrl room(const QString &name) const
    {
        QUrl u = server->url();
        u.setPath(QLatin1Char('/') + name);
        return u;
    }
    bool ok = false;
    Tandem::Storage::SqliteRoomStore *store = nullptr;
    std::unique_ptr<Tandem::Server::RoomServer> server;
};

} // namespace Tandem::Testing
