"""Reports controllers and the kernteam open: the budget table (console, CSV, Markdown,
xlsx), the controller workbook, the one-page HTML report and the trend chart.

Reports are written from figures the evaluation computed; they do not forecast.
"""
