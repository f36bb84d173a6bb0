// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/peoplelist.h"

#include "core/client/presence.h"

#include <QApplication>
#include <QPainter>

namespace Tandem::Ui {

using Client::PresenceModel;

QString typingSentence(const QStringList &names)
{
    switch (names.size()) {
    case 0:
        return {};
    case 1:
        return QApplication::translate("Tandem::Ui::People", "%1 is typing…").arg(names[0]);
    case 2:
        return QApplication::translate("Tandem::Ui::People", "%1 and %2 are typing…")
                .arg(names[0], names[1]);
    default:
        return QApplication::translate("Tandem::Ui::People", "%n people are typing…", nullptr,
                                       int(names.size()));
    }
}

QString PeopleDelegate::describe(const QModelIndex &index)
{
    const QString name = index.data(PresenceModel::NameRole).toString();
    const bool local = index.data(PresenceModel::LocalRole).toBool();
    const bool typing = index.data(PresenceModel::TypingRole).toBool();
    const auto activity = Client::Activity(index.data(PresenceModel::ActivityRole).toInt());
    QString status;
    if (typing) {
        status = tr("typing…");
    } else if (activity == Client::Activity::Idle) {
        status = tr("idle");
    } else if (activity == Client::Activity::Away) {
        status = tr("away");
    } else {
        status = tr("active");
    }
    return local ? tr("%1 (you), %2").arg(name, status) : tr("%1, %2").arg(name, status);
}

QSize PeopleDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    return {160, option.fontMetrics.height() * 2 + 8};
}

void PeopleDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                           const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QRect r = option.rect.adjusted(8, 4, -8, -4);
    const int dot = option.fontMetrics.height() * 2 / 3;
    const auto activity = Client::Activity(index.data(PresenceModel::ActivityRole).toInt());
    QColor color(index.data(PresenceModel::ColorRole).toString());
    if (!color.isValid()) {
        color = option.palette.color(QPalette::Mid);
    }
    painter->setOpacity(activity == Client::Activity::Active ? 1.0 : 0.5);
    painter->setPen(Qt::NoPen);
    painter->setBrush(color);
    painter->drawEllipse(
            QRect(r.left(), r.top() + (option.fontMetrics.height() - dot) / 2, dot, dot));
    painter->setOpacity(1.0);

    const bool selected = option.state & QStyle::State_Selected;
    painter->setPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
    QString name = index.data(PresenceModel::NameRole).toString();
    if (index.data(PresenceModel::LocalRole).toBool()) {
        name = tr("%1 (you)").arg(name);
    }
    const QRect nameRect(r.left() + dot + 8, r.top(), r.width() - dot - 8,
                         option.fontMetrics.height());
    painter->drawText(nameRect, Qt::AlignLeft | Qt::AlignVCenter,
                      option.fontMetrics.elidedText(name, Qt::ElideRight, nameRect.width()));
    QFont small = option.font;
    small.setPointSizeF(small.pointSizeF() * 0.9);
    small.setItalic(index.data(PresenceModel::TypingRole).toBool());
    painter->setFont(small);
    painter->setPen(
            option.palette.color(selected ? QPalette::HighlightedText : QPalette::PlaceholderText));
    QString status = describe(index);
    status = status.mid(status.lastIndexOf(QLatin1String(", ")) + 2);
    painter->drawText(nameRect.translated(0, option.fontMetrics.height()),
                      Qt::AlignLeft | Qt::AlignVCenter, status);
    painter->restore();
}

} // namespace Tandem::Ui
