-- Issue 15: the corrected days (an approved correction in int_attendance_koreksi_days) of this run's
-- scope priced as if the corrections did not exist — the "before" of marts.mart_correction_log. The
-- same rules as int_attendance_days_priced (macros/attendance_days_priced.sql); a broken device's
-- days wait for its log again.
{{ attendance_days_priced(corrected=false) }}
