-- Devices (issue 3): the first pull of a 100,000-record device spent most of its time keeping four
-- b-tree indexes of raw.device_punch up to date, row by row, most of them at random leaf pages.
-- One b-tree is left, the natural key; the rest are BRIN.
--
-- * The natural key becomes (device_sn, punch_local, device_pin): the same uniqueness, but a device
--   logs in time order, so a pull now appends at the index's right edge instead of jumping between
--   the device's hundreds of PINs for every row. It also serves "punches of this device in a time
--   range" and the dedupe anti-join (equality on all three columns).
-- * device_punch_batch_idx (batch_id) becomes BRIN: batch ids only grow and raw is append-only, so
--   the punches of a batch sit together in the heap ("punches of the batches since the last
--   transform", "newest punch of a device's last batch") at almost no upkeep.
-- * device_punch_local_idx (punch_local) becomes BRIN as well: pulls write each batch in time
--   order, so block ranges are narrow in time. The attendance models read punches by date range
--   (BRIN, or a skip scan of the natural key); the window's first punch is one natural-key probe
--   per device (int_attendance_window).
-- * device_punch_pin_local_idx (device_pin, punch_local, from 0003) goes: no model reads punches by
--   PIN alone.
alter table raw.device_punch
    drop constraint device_punch_natural_key,
    add constraint device_punch_natural_key unique (device_sn, punch_local, device_pin);
drop index if exists raw.device_punch_batch_idx;
create index device_punch_batch_brin on raw.device_punch using brin (batch_id) with (pages_per_range = 16, autosummarize = on);
drop index if exists raw.device_punch_local_idx;
create index device_punch_local_brin on raw.device_punch using brin (punch_local) with (pages_per_range = 16, autosummarize = on);
drop index if exists raw.device_punch_pin_local_idx;
