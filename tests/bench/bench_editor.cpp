// SPDX-License-Identifier: GPL-3.0-or-later
// Editor latency benchmark (not a test): for a 10 KB and a 1 MB note,
//   keystroke -> update sent:    a key pressed in a bound QPlainTextEdit until the CRDT update
//                                 that goes to the server has been produced;
//   remote update -> widget:      a peer's update applied until the editor's document shows it.
// Each figure is printed beside the same operation on a bare QPlainTextEdit (no binding, no
// CRDT) measured in the same run: the widget's own cost, which no binding can go below.
// Runs offscreen: QT_QPA_PLATFORM=offscreen build/tests/bench/bench_editor

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "ui/editorbinding.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cstdio>

using namespace Tandem;

namespace {

struct Stats
{
    double median = 0, p99 = 0;
};

Stats stats(std::vector<double> us)
{
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

QString makeText(int bytes)
{
    QString text;
    QRandomGenerator rng(42);
    while (text.size() < bytes) {
        for (int w = 0; w < 10; ++w) {
            text += QString::number(rng.generate(), 36) + QLatin1Char(' ');
        }
        text += QLatin1Char('\n');
    }
    text.truncate(bytes);
    return text;
}

void place(QPlainTextEdit &e, int position)
{
    QTextCursor c = e.textCursor();
    c.setPosition(position);
    e.setTextCursor(c);
}

void run(int bytes, const char *label, int samples)
{
    const QString initial = makeText(bytes);
    QRandomGenerator rng(7);

    // Bound editors: A types, B receives.
    Crdt::Doc a(1), b(2);
    a.getText("body").insert(0, initial.toStdU16String());
    b.applyUpdate(a.encodeStateAsUpdate());
    QPlainTextEdit ea, eb;
    for (QPlainTextEdit *e : {&ea, &eb}) {
        e->resize(900, 700);
        e->show();
    }
    Ui::EditorBinding ba(a, a.getText("body"), &ea);
    Ui::EditorBinding bb(b, b.getText("body"), &eb);
    QElapsedTimer clock;
    clock.start();
    qint64 start = 0, sentAt = 0;
    std::vector<std::vector<uint8_t>> sent;
    a.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
        sentAt = clock.nsecsElapsed();
        sent.emplace_back(u.begin(), u.end());
    });
    std::vector<double> keystroke, whole, remote;
    for (int i = 0; i < samples; ++i) {
        place(ea, int(rng.bounded(int(ea.document()->characterCount() - 1))));
        start = clock.nsecsElapsed();
        QTest::keyClick(&ea, Qt::Key_X);
        whole.push_back(double(clock.nsecsElapsed() - start) / 1000.0);
        keystroke.push_back(double(sentAt - start) / 1000.0);
    }
    for (const auto &u : sent) {
        start = clock.nsecsElapsed();
        b.applyUpdate(u);
        remote.push_back(double(clock.nsecsElapsed() - start) / 1000.0);
    }
    if (eb.toPlainText() != ea.toPlainText()) {
        std::printf("  %s: the editors differ: the benchmark is wrong\n", label);
        return;
    }

    // The bare widget: the same keystrokes and the same insertions, nothing bound.
    QPlainTextEdit bare, bareRemote;
    bare.setPlainText(initial);
    bareRemote.setPlainText(initial);
    for (QPlainTextEdit *e : {&bare, &bareRemote}) {
        e->resize(900, 700);
        e->show();
    }
    std::vector<double> bareKey, bareInsert;
    for (int i = 0; i < samples; ++i) {
        place(bare, int(rng.bounded(int(bare.document()->characterCount() - 1))));
        start = clock.nsecsElapsed();
        QTest::keyClick(&bare, Qt::Key_X);
        bareKey.push_back(double(clock.nsecsElapsed() - start) / 1000.0);
        QTextCursor c(bareRemote.document());
        c.setPosition(int(rng.bounded(int(bareRemote.document()->characterCount() - 1))));
        start = clock.nsecsElapsed();
        c.insertText(QStringLiteral("x"));
        bareInsert.push_back(double(clock.nsecsElapsed() - start) / 1000.0);
    }
    const Stats k = stats(keystroke), w = stats(whole), kb = stats(bareKey), r = stats(remote),
                rb = stats(bareInsert);
    std::printf("  %-6s keystroke -> update sent : tandem median %7.1f us, p99 %7.1f us "
                "(whole keystroke %.1f / %.1f us) | bare QPlainTextEdit keystroke median %7.1f "
                "us, p99 %7.1f us\n",
                label, k.median, k.p99, w.median, w.p99, kb.median, kb.p99);
    std::printf("  %-6s remote update -> widget  : tandem median %7.1f us, p99 %7.1f us | bare "
                "QPlainTextEdit insertText median %7.1f us, p99 %7.1f us\n",
                label, r.median, r.p99, rb.median, rb.p99);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    std::printf("Editor latency (%d samples each, same run; the bare widget is the floor)\n", 400);
    run(10 * 1024, "10 KB", 400);
    run(1024 * 1024, "1 MB", 400);
    return 0;
}
