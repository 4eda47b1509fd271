-- trace_v1.sql - schema version 1 of a vsndtrace session database (one recorded session).
-- Written by trace/recorder.c at open; read by trace/reader.c, replay, stats and the sqlite3 shell.
--
-- Conventions
--   * A database is a vsndtrace session when PRAGMA application_id = 0x76736e64 ('vsnd',
--     1987276388) and meta('format') = 'vsndtrace-session'. PRAGMA user_version = 1.
--   * Every event has an `id`: one sequence shared by all event tables, in the order the
--     recorder accepted the events, so `ORDER BY id` across tables is the session timeline
--     (view `timeline`). Tables holding events: transport_event, device_op, chain, chain_io,
--     chain_end, sink_event, mark.
--   * Every event has `t_ns` (the recorder clock: host CLOCK_MONOTONIC nanoseconds when
--     recording a guest; a virtual clock in tests) and `ticks` (the guest timer counter at
--     that instant; session.timebase_hz ticks per second; 0 when there is no guest).
--     Events of one thread have non-decreasing t_ns in id order; events of different
--     threads (vCPU, device workers) that happen within a fraction of a microsecond of
--     each other may appear in id order with t_ns slightly out of order.
--   * Byte offsets in chains are offsets in the device-readable part (reads) or the
--     device-writable part (writes), each viewed as one contiguous stream (vsnd/chain.h).
--   * PCM bytes are stored once, in `pcm`. A chain_io row whose bytes include PCM keeps the
--     non-PCM bytes in chain_io.data and points to the pcm row (see chain_io). A sink write
--     whose bytes equal the PCM already stored for that stream offset has sink_event.data NULL.
--   * Codes (control requests, statuses, events) are the VirtIO 1.2 5.14 numbers; names are
--     in table code_name.
--   * A session that is still being recorded, or was killed, is readable (WAL): it has
--     session.clean_end = 0 and everything committed so far (by default the recorder commits
--     about once a second: semu --trace-commit-ms, vsndtrace record --commit-ms).
--   * Complete = clean_end = 1 AND truncated = 0. producer_waits > 0 means the recorder
--     slowed the audio path (its queue was full) for producer_wait_ns in total.
--
-- Examples (sqlite3 session.db):
--   SELECT * FROM control_timeline;                        -- what the driver asked, answers
--   SELECT stream, count(*), avg(interval_ns) / 1e6 AS ms,
--          max(interval_ns) / 1e6 AS worst_ms FROM period_timing GROUP BY stream;
--   SELECT * FROM timeline WHERE t_ns BETWEEN 5e9 AND 5.1e9;   -- everything in a window
--   SELECT writefile('s0.raw', data) FROM pcm_in_order WHERE stream = 0;  -- (one file per
--          row; use `vsndtrace export --wav` for a whole stream)
--   SELECT * FROM sink_problem;                            -- underruns, xruns, errors
PRAGMA application_id = 1987276388;
PRAGMA user_version = 1;

-- Key/value facts about the file itself.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,   -- 'format' = 'vsndtrace-session'; 'schema' = '1'
  value TEXT NOT NULL
);
INSERT INTO meta VALUES ('format', 'vsndtrace-session'), ('schema', '1');

-- Exactly one row (id = 1): the session. Written at open with clean_end = 0, updated at close.
CREATE TABLE session (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  tool_version     TEXT,     -- version string of the recording tool
  schema_version   INTEGER NOT NULL, -- = user_version at creation
  start_wall_ns    INTEGER NOT NULL, -- wall clock at open, ns since the Unix epoch (UTC)
  start_wall       TEXT,     -- same, ISO 8601 UTC, for people
  end_wall_ns      INTEGER,  -- wall clock at close; NULL if the session did not end cleanly
  start_ns         INTEGER NOT NULL, -- recorder clock t_ns at open
  start_ticks      INTEGER NOT NULL, -- guest ticks at open
  host             TEXT,     -- host name and kernel (uname) of the recording machine
  guest_cmdline    TEXT,     -- the guest kernel command line
  kernel           TEXT,     -- guest kernel image path
  initrd           TEXT,     -- guest initramfs path
  scenario         TEXT,     -- what was played/recorded (free text from the tool)
  sink_spec        TEXT,     -- the host sink spec used, e.g. 'wav:out.wav', 'null'
  notes            TEXT,     -- free text
  timebase_hz      INTEGER,  -- guest timer ticks per second (ticks columns); NULL if unknown
  clean_end        INTEGER NOT NULL DEFAULT 0, -- 1 once the recorder closed the session normally
  truncated        INTEGER NOT NULL DEFAULT 0, -- 1 if recording stopped early on an error
  error            TEXT,     -- the error that stopped recording, if any
  events           INTEGER NOT NULL DEFAULT 0, -- events the recorder accepted (at close)
  bytes            INTEGER NOT NULL DEFAULT 0, -- payload bytes accepted (PCM and other data)
  producer_waits   INTEGER NOT NULL DEFAULT 0, -- times the audio path found the queue full and waited
  producer_wait_ns INTEGER NOT NULL DEFAULT 0, -- total time spent in those waits: timing was perturbed if > 0
  queue_bytes      INTEGER   -- size of the recorder's in-memory queue
);

-- The device configuration (struct vsnd_config, vsnd/snd.h): one row per PCM stream.
CREATE TABLE config_stream (
  stream_id    INTEGER PRIMARY KEY, -- index in the device's stream list
  hda_fn_nid   INTEGER NOT NULL,    -- HDA function node id (virtio_snd_pcm_info)
  features     INTEGER NOT NULL,    -- advertised VIRTIO_SND_PCM_F_* bit mask
  formats      INTEGER NOT NULL,    -- bit mask 1 << VIRTIO_SND_PCM_FMT_*
  rates        INTEGER NOT NULL,    -- bit mask 1 << VIRTIO_SND_PCM_RATE_*
  direction    INTEGER NOT NULL,    -- 0 output (playback), 1 input (capture)
  channels_min INTEGER NOT NULL,
  channels_max INTEGER NOT NULL
);
-- One row per jack.
CREATE TABLE config_jack (
  jack_id         INTEGER PRIMARY KEY,
  hda_fn_nid      INTEGER NOT NULL,
  features        INTEGER NOT NULL, -- VIRTIO_SND_JACK_F_* bit mask
  hda_reg_defconf INTEGER NOT NULL, -- HDA pin default configuration register
  hda_reg_caps    INTEGER NOT NULL, -- HDA pin capabilities register
  connected       INTEGER NOT NULL  -- 1 if connected at start
);
-- One row per channel map.
CREATE TABLE config_chmap (
  chmap_id   INTEGER PRIMARY KEY,
  hda_fn_nid INTEGER NOT NULL,
  direction  INTEGER NOT NULL,     -- 0 output, 1 input
  channels   INTEGER NOT NULL,
  positions  BLOB NOT NULL         -- 18 bytes: VIRTIO_SND_CHMAP_* position per channel
);

-- Names of VirtIO sound codes: requests (0x0001..0x0200), events (0x1000..), statuses (0x8000..).
CREATE TABLE code_name (
  code INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
INSERT INTO code_name VALUES
  (1, 'JACK_INFO'), (2, 'JACK_REMAP'), (256, 'PCM_INFO'), (257, 'PCM_SET_PARAMS'),
  (258, 'PCM_PREPARE'), (259, 'PCM_RELEASE'), (260, 'PCM_START'), (261, 'PCM_STOP'),
  (512, 'CHMAP_INFO'), (4096, 'EVT_JACK_CONNECTED'), (4097, 'EVT_JACK_DISCONNECTED'),
  (4352, 'EVT_PCM_PERIOD_ELAPSED'), (4353, 'EVT_PCM_XRUN'), (32768, 'S_OK'),
  (32769, 'S_BAD_MSG'), (32770, 'S_NOT_SUPP'), (32771, 'S_IO_ERR');

-- Names of transport_event.kind (enum vmmio_ev_kind, vsnd/virtio_mmio.h).
CREATE TABLE transport_kind (
  kind INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
INSERT INTO transport_kind VALUES (1, 'STATUS'), (2, 'FEATURES'), (3, 'QUEUE_READY'),
  (4, 'NOTIFY'), (5, 'IRQ_RAISE'), (6, 'IRQ_ACK'), (7, 'RESET'), (8, 'NEEDS_RESET'),
  (9, 'BAD_ACCESS');

-- Events the virtio-mmio transport reported (struct vmmio_event): status writes, feature
-- negotiation, queue setup, notifications, interrupts raised/acknowledged, reset, needs-reset.
CREATE TABLE transport_event (
  id         INTEGER PRIMARY KEY, -- event id (timeline order)
  t_ns       INTEGER NOT NULL,
  ticks      INTEGER NOT NULL,
  kind       INTEGER NOT NULL,    -- transport_kind.kind
  queue      INTEGER NOT NULL,    -- QUEUE_READY, NOTIFY: queue index; else 0
  value      INTEGER NOT NULL,    -- STATUS: status written; FEATURES: 1 accepted / 0 refused;
                                  -- QUEUE_READY: ready 0/1; IRQ_RAISE: InterruptStatus after;
                                  -- IRQ_ACK: bits acknowledged; NEEDS_RESET: reason;
                                  -- BAD_ACCESS: register offset
  num        INTEGER NOT NULL,    -- QUEUE_READY: queue size; BAD_ACCESS: access width
  features   INTEGER NOT NULL,    -- FEATURES: driver's accepted feature bits (64-bit)
  desc_addr  INTEGER NOT NULL,    -- QUEUE_READY: guest-physical descriptor table address
  avail_addr INTEGER NOT NULL,    -- QUEUE_READY: driver (available) ring address
  used_addr  INTEGER NOT NULL     -- QUEUE_READY: device (used) ring address
);

-- Calls the transport made on the device other than chains (struct vmmio_device_ops).
CREATE TABLE device_op (
  id    INTEGER PRIMARY KEY,
  t_ns  INTEGER NOT NULL,
  ticks INTEGER NOT NULL,
  op    INTEGER NOT NULL, -- 1 config_read, 2 driver_ok, 3 reset
  off   INTEGER,          -- config_read: offset in config space
  len   INTEGER,          -- config_read: bytes read
  data  BLOB              -- config_read: the bytes the device returned
);

-- Every descriptor chain handed to the device (its arrival is an event).
CREATE TABLE chain (
  id        INTEGER PRIMARY KEY, -- event id of the arrival; identifies the chain below
  t_ns      INTEGER NOT NULL,    -- when the device was given the chain (dequeued)
  ticks     INTEGER NOT NULL,
  queue     INTEGER NOT NULL,    -- virtqueue: 0 control, 1 event, 2 tx, 3 rx
  head      INTEGER NOT NULL,    -- head descriptor index in the ring
  seq       INTEGER NOT NULL,    -- supplier's sequence number (vsnd_chain.seq)
  rlen      INTEGER NOT NULL,    -- total device-readable bytes
  wlen      INTEGER NOT NULL,    -- total device-writable bytes
  malformed INTEGER NOT NULL,    -- 1 if a readable descriptor followed a writable one
  ndescs    INTEGER NOT NULL     -- number of descriptor rows
);

-- The descriptors of each chain, in walk order.
CREATE TABLE descriptor (
  chain INTEGER NOT NULL,        -- chain.id
  idx   INTEGER NOT NULL,        -- position in the chain, 0 = head
  addr  INTEGER NOT NULL,        -- guest-physical address
  len   INTEGER NOT NULL,        -- length in bytes
  flags INTEGER NOT NULL,        -- VRING_DESC_F_*: 1 NEXT, 2 WRITE, 4 INDIRECT
  next  INTEGER NOT NULL,        -- next field as in the ring
  PRIMARY KEY (chain, idx)
) WITHOUT ROWID;

-- Every read the device made from a chain (dir 0) and every write it made into one (dir 1).
-- Bytes: if pcm is NULL, data holds all `len` bytes. If pcm is set, the bytes are data with
-- the referenced pcm row's data inserted at position (pcm.chain_off - off); i.e. data holds
-- only the non-PCM bytes (the xfer header of a TX read, the status of an RX write).
CREATE TABLE chain_io (
  id      INTEGER PRIMARY KEY,
  chain   INTEGER NOT NULL,     -- chain.id
  t_ns    INTEGER NOT NULL,
  ticks   INTEGER NOT NULL,
  dir     INTEGER NOT NULL,     -- 0 read (device-readable part), 1 write (device-writable part)
  off     INTEGER NOT NULL,     -- offset in that part
  req_len INTEGER NOT NULL,     -- bytes the device asked to copy
  len     INTEGER NOT NULL,     -- bytes actually copied (short at the end of the part)
  data    BLOB,                 -- the bytes (or the non-PCM bytes when pcm is set)
  pcm     INTEGER               -- pcm.id (= this id) when part of the bytes are PCM
);
CREATE INDEX chain_io_chain ON chain_io (chain, id);

-- How each chain ended: returned to the driver (complete) or dropped at reset (discard).
CREATE TABLE chain_end (
  id            INTEGER PRIMARY KEY,
  chain         INTEGER NOT NULL UNIQUE, -- chain.id
  t_ns          INTEGER NOT NULL,        -- completion time
  ticks         INTEGER NOT NULL,
  outcome       INTEGER NOT NULL,        -- 0 complete, 1 discard
  used_len      INTEGER,                 -- used.len returned (complete only)
  status        INTEGER,                 -- tx/rx: virtio_snd_pcm_status.status written; ctl: hdr code
  latency_bytes INTEGER,                 -- tx/rx: virtio_snd_pcm_status.latency_bytes written
  stream        INTEGER                  -- tx/rx: stream_id of the xfer header the device read
                                         -- (NULL if it never read it)
);

-- PCM bytes, once: what the device read from TX chains (after the 4-byte xfer header) at play
-- time, and what it wrote into RX chains (before the 8-byte status) for capture.
CREATE TABLE pcm (
  id            INTEGER PRIMARY KEY, -- = chain_io.id of the read/write that carried the bytes
  chain         INTEGER NOT NULL,    -- chain.id
  stream        INTEGER,             -- stream id from the chain's xfer header (NULL if unread)
  direction     INTEGER NOT NULL,    -- 0 output (tx), 1 input (rx)
  seq           INTEGER NOT NULL,    -- 0, 1, 2 ... per stream: PCM in order = ORDER BY stream, seq
  stream_offset INTEGER NOT NULL,    -- bytes of this stream before these
  chain_off     INTEGER NOT NULL,    -- offset of the first byte in the chain part (tx: >= 4)
  bytes         INTEGER NOT NULL,
  frames        INTEGER,             -- bytes / frame size of the stream's params (NULL if unknown)
  t_ns          INTEGER NOT NULL,    -- when the device read (tx) / wrote (rx) the bytes
  ticks         INTEGER NOT NULL,
  data          BLOB NOT NULL
);
CREATE INDEX pcm_stream ON pcm (stream, stream_offset);

-- Control requests (queue 0), one row per completed or discarded chain, decoded.
CREATE TABLE control (
  chain          INTEGER PRIMARY KEY, -- chain.id
  code           INTEGER,             -- request code (code_name); NULL if < 4 bytes were read
  target         INTEGER,             -- stream_id / jack_id / start_id of the request, if any
  count          INTEGER,             -- *_INFO: count
  request        BLOB,                -- all bytes the device read
  response       BLOB,                -- all bytes the device wrote
  status         INTEGER,             -- first le32 of the response (S_*); NULL if none written
  used_len       INTEGER,
  t_dequeued_ns  INTEGER NOT NULL,    -- chain arrival
  ticks_dequeued INTEGER NOT NULL,
  t_completed_ns INTEGER NOT NULL,    -- chain_end time
  ticks_completed INTEGER NOT NULL,
  discarded      INTEGER NOT NULL     -- 1 if dropped at reset
);

-- Stream parameters accepted by the device (PCM_SET_PARAMS answered S_OK), in order.
CREATE TABLE pcm_params (
  chain        INTEGER PRIMARY KEY, -- control.chain of the SET_PARAMS
  stream       INTEGER NOT NULL,
  buffer_bytes INTEGER NOT NULL,
  period_bytes INTEGER NOT NULL,
  features     INTEGER NOT NULL,    -- VIRTIO_SND_PCM_F_* selected
  channels     INTEGER NOT NULL,
  format       INTEGER NOT NULL,    -- VIRTIO_SND_PCM_FMT_*
  rate         INTEGER NOT NULL,    -- VIRTIO_SND_PCM_RATE_* index
  rate_hz      INTEGER,             -- rate in Hz (NULL for an unknown index)
  frame_bytes  INTEGER,             -- channels * sample bytes (NULL for an unknown format)
  t_ns         INTEGER NOT NULL     -- completion time
);

-- Device-to-driver events (queue 1 chains the device completed), decoded.
CREATE TABLE vq_event (
  chain INTEGER PRIMARY KEY,        -- chain.id
  code  INTEGER,                    -- EVT_* (code_name)
  data  INTEGER,                    -- jack_id / stream_id
  t_ns  INTEGER NOT NULL,           -- completion time
  ticks INTEGER NOT NULL
);

-- Calls on the host sinks (output) and sources (input), and what they reported.
CREATE TABLE sink_event (
  id            INTEGER PRIMARY KEY,
  t_ns          INTEGER NOT NULL,   -- when the call started (report: when reported)
  ticks         INTEGER NOT NULL,
  stream        INTEGER NOT NULL,   -- device stream the sink serves
  kind          INTEGER NOT NULL,   -- 1 open, 2 write, 3 read, 4 close, 5 underrun, 6 xrun, 7 error
  rc            INTEGER,            -- open/write/read: return value (0 or -errno); reports: err
  bytes         INTEGER,            -- write/read: bytes passed
  duration_ns   INTEGER,            -- open/write/read/close: time spent in the sink
  stream_offset INTEGER,            -- write/read: bytes passed to this sink before this call
  pcm_offset    INTEGER,            -- write: when data is NULL, the bytes are the pcm bytes of
                                    -- this stream from pcm.stream_offset = pcm_offset on
  data          BLOB,               -- write: NULL when equal to stored pcm bytes (pcm_offset),
                                    -- else the bytes (silence, converted data); read: the bytes
  direction     INTEGER,            -- open: 0 output / 1 input
  format        INTEGER,            -- open: VIRTIO_SND_PCM_FMT_*
  channels      INTEGER,            -- open
  rate          INTEGER,            -- open: VIRTIO_SND_PCM_RATE_* index
  rate_hz       INTEGER,            -- open
  frame_bytes   INTEGER,            -- open
  period_bytes  INTEGER,            -- open
  buffer_bytes  INTEGER,            -- open
  msg           TEXT                -- underrun/xrun/error: the sink's message
);
CREATE INDEX sink_event_pcm ON sink_event (stream, kind, pcm_offset);

-- Free-text markers from the recording tool (scenario steps).
CREATE TABLE mark (
  id    INTEGER PRIMARY KEY,
  t_ns  INTEGER NOT NULL,
  ticks INTEGER NOT NULL,
  text  TEXT NOT NULL
);

-- Views ---------------------------------------------------------------------------------

-- Every event in order, one line each: id, time, ticks, what, and a short detail.
CREATE VIEW timeline AS
  SELECT id, t_ns, ticks, 'transport' AS source,
         (SELECT name FROM transport_kind k WHERE k.kind = e.kind) AS what,
         'q=' || queue || ' value=' || printf('0x%x', value) AS detail
    FROM transport_event e
  UNION ALL
  SELECT id, t_ns, ticks, 'device', CASE op WHEN 1 THEN 'CONFIG_READ' WHEN 2 THEN 'DRIVER_OK'
         ELSE 'RESET' END, CASE op WHEN 1 THEN 'off=' || off || ' len=' || len ELSE '' END
    FROM device_op
  UNION ALL
  SELECT id, t_ns, ticks, 'chain', 'ARRIVE',
         'q=' || queue || ' head=' || head || ' rlen=' || rlen || ' wlen=' || wlen FROM chain
  UNION ALL
  SELECT id, t_ns, ticks, 'chain', CASE dir WHEN 0 THEN 'READ' ELSE 'WRITE' END,
         'chain=' || chain || ' off=' || off || ' len=' || len ||
         CASE WHEN pcm IS NOT NULL THEN ' (pcm)' ELSE '' END FROM chain_io
  UNION ALL
  SELECT id, t_ns, ticks, 'chain', CASE outcome WHEN 0 THEN 'COMPLETE' ELSE 'DISCARD' END,
         'chain=' || chain || ' used_len=' || ifnull(used_len, '-') FROM chain_end
  UNION ALL
  SELECT id, t_ns, ticks, 'sink', CASE kind WHEN 1 THEN 'OPEN' WHEN 2 THEN 'WRITE'
         WHEN 3 THEN 'READ' WHEN 4 THEN 'CLOSE' WHEN 5 THEN 'UNDERRUN' WHEN 6 THEN 'XRUN'
         ELSE 'ERROR' END,
         'stream=' || stream || ' rc=' || ifnull(rc, '-') || ' bytes=' || ifnull(bytes, '-') ||
         ifnull(' ' || msg, '') FROM sink_event
  UNION ALL
  SELECT id, t_ns, ticks, 'mark', 'MARK', text FROM mark
  ORDER BY id;

-- Control commands in order with names, status and latency (dequeued -> completed).
CREATE VIEW control_timeline AS
  SELECT c.chain, c.t_dequeued_ns, c.t_completed_ns,
         c.t_completed_ns - c.t_dequeued_ns AS latency_ns,
         c.code, ifnull(n.name, printf('0x%04x', c.code)) AS name, c.target,
         c.status, ifnull(s.name, printf('0x%04x', c.status)) AS status_name, c.discarded
    FROM control c
    LEFT JOIN code_name n ON n.code = c.code
    LEFT JOIN code_name s ON s.code = c.status
   ORDER BY c.chain;

-- Every TX/RX chain (an I/O message) with its stream, PCM bytes and timing (bytes NULL: the
-- device returned it without reading/writing PCM, e.g. flushed at RELEASE).
CREATE VIEW io_message AS
  SELECT ch.id AS chain, ch.queue, coalesce(e.stream, p.stream) AS stream, p.bytes, p.frames,
         ch.t_ns AS t_dequeued_ns, e.t_ns AS t_completed_ns,
         e.t_ns - ch.t_ns AS latency_ns, e.outcome, e.used_len, e.status, e.latency_bytes
    FROM chain ch
    LEFT JOIN (SELECT chain, min(stream) AS stream, sum(bytes) AS bytes, sum(frames) AS frames
                 FROM pcm GROUP BY chain) p ON p.chain = ch.id
    LEFT JOIN chain_end e ON e.chain = ch.id
   WHERE ch.queue IN (2, 3);

-- Completed messages that carried PCM, per stream in completion order; interval_ns is the
-- time since the previous such completion on the same stream: the period timing.
CREATE VIEW period_timing AS
  SELECT stream, chain, t_completed_ns, bytes, frames, status, latency_bytes,
         t_completed_ns - lag(t_completed_ns) OVER (PARTITION BY stream ORDER BY t_completed_ns,
                                                   chain) AS interval_ns
    FROM io_message
   WHERE outcome = 0 AND bytes > 0
   ORDER BY stream, t_completed_ns, chain;

-- PCM in order per stream, with when the sink consumed it (output streams: the time of the
-- sink write that carried the first byte of the batch; NULL if it never reached the sink).
CREATE VIEW pcm_in_order AS
  SELECT p.stream, p.seq, p.direction, p.stream_offset, p.bytes, p.frames, p.t_ns,
         (SELECT s.t_ns FROM sink_event s
           WHERE s.stream = p.stream AND s.kind = 2 AND s.pcm_offset <= p.stream_offset
             AND s.pcm_offset + s.bytes > p.stream_offset
           ORDER BY s.pcm_offset DESC LIMIT 1) AS t_sink_ns,
         e.latency_bytes, p.chain, p.data
    FROM pcm p LEFT JOIN chain_end e ON e.chain = p.chain
   ORDER BY p.stream, p.seq;

-- Sink writes; same_as_pcm = 1 when the bytes are the stored pcm bytes from pcm_offset on.
CREATE VIEW sink_write AS
  SELECT s.id, s.t_ns, s.stream, s.rc, s.bytes, s.duration_ns, s.stream_offset,
         s.pcm_offset, s.data IS NULL AS same_as_pcm, s.data
    FROM sink_event s WHERE s.kind = 2 ORDER BY s.id;

-- Underruns, xruns and errors the sinks reported.
CREATE VIEW sink_problem AS
  SELECT id, t_ns, ticks, stream, CASE kind WHEN 5 THEN 'UNDERRUN' WHEN 6 THEN 'XRUN'
         ELSE 'ERROR' END AS what, rc AS err, msg
    FROM sink_event WHERE kind >= 5 ORDER BY id;
