-- One counter of device changes (issue 6, ingest throughput): every change
-- of a device or of its rules (`store::monitoring::lock_device`) moves it in
-- its transaction, and each ingest batch reads it first: while it has not
-- moved, every device the process has cached is as stored and the batch
-- needs no look-up of its devices' revisions (a thousand-row query per
-- batch); when it has moved, the process drops its cache and reads the
-- batch's devices again. A change takes the counter's row lock before the
-- device's, so changes never wait on each other in opposite orders.
CREATE TABLE device_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO device_changes (id, n) VALUES (1, 0);
