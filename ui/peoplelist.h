// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>
#include <QStyledItemDelegate>

namespace Tandem::Ui {

/// "Ana is typing…", "Ana and Bo are typing…", "3 people are typing…", or empty.
QString typingSentence(const QStringList &names);

/// Draws a row of the people list: a dot in the person's colour, the name ("you" marked),
/// and their status or "typing…".
class PeopleDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    /// The row as one line of text (also its accessible text).
    static QString describe(const QModelIndex &index);
};

} // namespace Tandem::Ui
