"""Pages and downloads of the records part of reports: calendar, matrix, exports, audit trail, printable reports."""
