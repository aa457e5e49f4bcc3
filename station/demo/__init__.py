"""The demo: its people (`data`), its databases prepared as a running site (`setup`),
and three months of history (`history`, drawn with `frame`, `people`, `machines`,
`rhythms`, written by `rows`)."""
