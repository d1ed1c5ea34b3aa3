-- The daily rules (DESIGN §6 / docs/CONTRACTS.md "Daily rule details"): status, check-in and
-- check-out, TL/PSW tiers, the day's percent and its reason, for every scoped employee-day. One model
-- for both uses: fct_attendance_daily takes the days of open months (is_locked_month = false),
-- int_attendance_corrections those of locked months (recomputed, they become adjustments).
-- Approved corrections (issue 15, int_attendance_koreksi_days) change the day, never the punches:
-- a forgotten check-in/out counts as a punch at its `jam`, an excused side has tier 0 and 0 % (its
-- minutes still shown), a remote day and a dependent of a broken device without a punch take the
-- policy's status (seed policy_koreksi), and the reason names the correction, letter and approver.
-- The rules themselves: macros/attendance_days_priced.sql (also int_attendance_days_uncorrected).
{{ attendance_days_priced(corrected=true) }}
