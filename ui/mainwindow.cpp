// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/mainwindow.h"

#include <QPlainTextEdit>
#include <QStatusBar>

namespace Tandem::Ui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(tr("Tandem"));
    auto *editor = new QPlainTextEdit(this);
    editor->setPlaceholderText(tr("Start typing…"));
    editor->setAccessibleName(tr("Note editor"));
    setCentralWidget(editor);
    statusBar()->showMessage(tr("Not connected"));
    resize(900, 600);
}

} // namespace Tandem::Ui
