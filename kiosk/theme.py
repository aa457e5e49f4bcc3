"""Look of the kiosk: large type and touch targets, strong contrast (WCAG AA or better).

Dark text on light backgrounds, colours never the only signal (each state also
has words), every button at least 72 px high: people of all ages use this.
"""

from __future__ import annotations

INK = "#111827"  # body text, 16:1 on white
MUTED = "#374151"  # secondary text, 10:1 on white
ACCENT = "#0b4f8a"  # buttons, 8.6:1 with white text
GOOD = "#14532d"
WARN = "#7c2d12"
BAD = "#7f1d1d"
PAPER = "#ffffff"
SHADE = "#eef2f7"

STYLE = f"""
QWidget {{ background: {PAPER}; color: {INK}; font-size: 24px; }}
QLabel#title {{ font-size: 56px; font-weight: bold; }}
QLabel#huge {{ font-size: 96px; font-weight: bold; color: {ACCENT}; }}
QLabel#clock {{ font-size: 64px; font-weight: bold; }}
QLabel#subtitle {{ font-size: 32px; color: {MUTED}; }}
QLabel#good {{ font-size: 40px; font-weight: bold; color: {GOOD}; }}
QLabel#warn {{ font-size: 40px; font-weight: bold; color: {WARN}; }}
QLabel#bad {{ font-size: 40px; font-weight: bold; color: {BAD}; }}
QLabel#error {{ font-size: 24px; font-weight: bold; color: {BAD}; }}
QLabel#banner {{ background: {BAD}; color: white; font-size: 26px; font-weight: bold;
                 padding: 12px; }}
QLabel#waiting {{ background: {ACCENT}; color: white; font-size: 32px; font-weight: bold;
                  padding: 12px; }}
QFrame#header {{ background: {SHADE}; }}
QFrame#header QLabel {{ background: {SHADE}; font-size: 28px; font-weight: bold; }}
QFrame#card {{ background: {SHADE}; border-radius: 16px; }}
QFrame#card QLabel {{ background: {SHADE}; }}
QFrame#space {{ background: {SHADE}; border-radius: 12px; }}
QFrame#space QLabel {{ background: {SHADE}; }}
QLabel#space_name {{ font-size: 18px; color: {MUTED}; }}
QLabel#space_count {{ font-size: 26px; font-weight: bold; }}
QLabel#space_full {{ font-size: 26px; font-weight: bold; color: {BAD}; }}
QProgressBar {{ background: {PAPER}; border: 1px solid {MUTED}; border-radius: 5px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 4px; }}
QProgressBar#full::chunk {{ background: {BAD}; }}
QPushButton {{ background: {ACCENT}; color: white; border: none; border-radius: 12px;
               min-height: 72px; padding: 8px 28px; font-size: 28px; font-weight: bold; }}
QPushButton:pressed {{ background: #083a66; }}
QPushButton:disabled {{ background: #9ca3af; color: #1f2937; }}
QPushButton:checked {{ background: {GOOD}; border: 4px solid #facc15; }}
QPushButton#secondary {{ background: {SHADE}; color: {INK}; border: 2px solid {MUTED}; }}
QPushButton#danger {{ background: {BAD}; min-height: 56px; font-size: 22px; padding: 4px 16px; }}
QPushButton#small {{ min-height: 56px; font-size: 22px; padding: 4px 16px; }}
QLineEdit, QComboBox {{ min-height: 64px; font-size: 28px; border: 2px solid {MUTED};
                        border-radius: 8px; padding: 0 12px; }}
QComboBox QAbstractItemView {{ font-size: 28px; }}
QCheckBox {{ font-size: 24px; font-weight: bold; spacing: 16px; }}
QCheckBox::indicator {{ width: 44px; height: 44px; border: 4px solid {INK}; border-radius: 6px;
                        background: {PAPER}; }}
QCheckBox::indicator:checked {{ background: {GOOD}; border: 4px solid {INK};
                                image: none; }}
QTabBar::tab {{ min-height: 64px; min-width: 200px; font-size: 24px; padding: 0 16px; }}
QTabBar::tab:selected {{ background: {ACCENT}; color: white; }}
QTableWidget, QListWidget {{ font-size: 22px; }}
QHeaderView::section {{ font-size: 20px; font-weight: bold; background: {SHADE}; }}
"""
