"""Reports: one driver for every task — analyse runs as their task's spec says, draw its
figures, and write ``REPORT.md`` (:func:`~flipflop.reports.driver.draw_figures`)."""
