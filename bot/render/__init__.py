"""Rendering: pure functions, data in and bytes out, run off the event loop.

- images.py: the receipt and the 收票 detail as PNG
- canvas.py: the drawing sheet (text fitting, tables, colours)
- fonts.py: finding a font that draws Chinese, once at start-up
- xlsx.py: the balance sheet and income statement workbook
"""
