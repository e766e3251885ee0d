"""What goes on paper: the thermal receipt's layout and the A4 report PDF."""
