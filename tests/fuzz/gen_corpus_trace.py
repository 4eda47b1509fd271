#!/usr/bin/env python3
# gen_corpus_trace.py - writes the seed corpus tests/fuzz/corpus/trace/ for fuzz_trace.c:
# real sessions recorded by the recorder (tests/traces/synth-*.db, made by
# tests/traces/gen_synth.c), rewritten as single-file databases with small pages, and copies
# with one known kind of damage each: file-level (empty, truncated, bad header, WAL header
# without its WAL), schema-level (foreign, wrong id/version, missing tables/rows) and
# value-level (ids, formats and rates out of range, lengths that disagree with blobs,
# negative or backwards times, wrong types). Deterministic: same inputs, same bytes.
import os
import shutil
import sqlite3
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "corpus", "trace")
# fuzz_replay.c gets the sessions that open (the replay engine starts after the reader's
# checks): the intact ones and the value-level damage.
OUT_REPLAY = os.path.join(HERE, "corpus", "replay")
BASE = ["synth-play-u8", "synth-bad", "synth-capture", "synth-reset", "synth-xrun"]


def compact(src, dst):
    """src as a rollback-journal database with 512-byte pages and fixed wall-clock columns."""
    shutil.copyfile(src, dst)
    db = sqlite3.connect(dst)
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("UPDATE session SET start_wall_ns = 1700000000000000000,"
               " start_wall = '2023-11-14T22:13:20Z', host = 'fuzz'")
    db.commit()
    db.execute("PRAGMA page_size = 512")
    db.execute("VACUUM")
    db.close()


def mutate_sql(base, dst, sql, pragma_off=True):
    shutil.copyfile(base, dst)
    db = sqlite3.connect(dst)
    if pragma_off:
        db.execute("PRAGMA ignore_check_constraints = 1")
        db.execute("PRAGMA foreign_keys = 0")
    for stmt in sql.split(";"):  # (no literal here contains ';')
        if stmt.strip():
            try:
                db.execute(stmt)
            except sqlite3.OperationalError:
                pass  # a column this schema revision does not have
    db.commit()
    db.execute("VACUUM")
    db.close()


def patch(base, dst, edits, truncate=None):
    data = bytearray(open(base, "rb").read())
    for off, b in edits:
        data[off:off + len(b)] = b
    if truncate is not None:
        data = data[:truncate]
    open(dst, "wb").write(bytes(data))


SQL = {
    "killed_incomplete": "UPDATE session SET clean_end = 0, end_wall_ns = NULL;",
    "truncated_with_error": "UPDATE session SET truncated = 1, error = 'database or disk is full';"
                            "DELETE FROM chain_end WHERE id > (SELECT max(id) / 2 FROM chain_end);",
    "wrong_application_id": "PRAGMA application_id = 1234;",
    "schema_version_2": "PRAGMA user_version = 2;",
    "schema_version_0": "PRAGMA user_version = 0;",
    "meta_missing": "DROP TABLE meta;",
    "meta_wrong_format": "UPDATE meta SET value = 'something-else' WHERE key = 'format';",
    "session_row_missing": "DELETE FROM session;",
    "session_table_missing": "DROP TABLE session;",
    "session_nulls_and_text": "UPDATE session SET tool_version = NULL, host = x'00ff', "
                              "timebase_hz = 'fast', start_ns = -5, events = -1, bytes = 1e300;",
    "pcm_table_missing": "DROP VIEW IF EXISTS pcm_in_order; DROP TABLE pcm;",
    "config_stream_out_of_range": "INSERT INTO config_stream VALUES (100, 0, 0, -1, -1, 7, 0, 255);"
                                  "INSERT INTO config_stream VALUES (-1, 0, 0, 0, 0, 0, 1, 1);"
                                  "UPDATE config_stream SET formats = -1, rates = -1, channels_min = 9;",
    "config_jack_chmap_bad": "INSERT INTO config_jack VALUES (1000, 0, -1, 0, 0, 2);"
                             "UPDATE config_chmap SET positions = x'0102', channels = 200;"
                             "INSERT INTO config_chmap VALUES (99, 0, 0, 18, zeroblob(4000));",
    "config_too_many_streams": "".join("INSERT INTO config_stream VALUES (%d, 0, 0, 32, 128, %d, 1, 2);"
                                       % (i, i & 1) for i in range(2, 40)),
    "params_shift_counts": "UPDATE pcm_params SET format = 200, rate = 64, channels = 0,"
                           " frame_bytes = 0, rate_hz = 0;"
                           "UPDATE sink_event SET format = 255, rate = 255, channels = 0,"
                           " frame_bytes = NULL, rate_hz = -1, period_bytes = 0 WHERE kind = 1;",
    "stream_ids_huge": "UPDATE pcm SET stream = 2147483648; UPDATE sink_event SET stream = -1;"
                       "UPDATE chain_end SET stream = 4294967296; UPDATE pcm_params SET stream = 9;",
    "lengths_disagree_with_blobs": "UPDATE chain_io SET len = len + 1000, req_len = 0;"
                                   "UPDATE pcm SET bytes = bytes * 3 + 1, frames = -7;"
                                   "UPDATE sink_event SET bytes = 4294967295 WHERE kind = 2;"
                                   "UPDATE device_op SET len = 1000000 WHERE op = 1;",
    "blobs_replaced_by_text_and_null": "UPDATE chain_io SET data = 'text' WHERE id % 2 = 0;"
                                       "UPDATE pcm SET data = zeroblob(0) WHERE id % 3 = 0;"
                                       "UPDATE control SET request = NULL, response = x'01';",
    "descriptors_disagree": "UPDATE chain SET ndescs = 1000000 WHERE id % 2 = 0;"
                            "DELETE FROM descriptor WHERE idx > 0;"
                            "INSERT OR IGNORE INTO descriptor SELECT id, 65535, -1, -1, 255, 70000 FROM chain;",
    "times_backwards_negative": "UPDATE chain_end SET t_ns = -t_ns; UPDATE pcm SET t_ns = 0;"
                                "UPDATE transport_event SET t_ns = 9223372036854775807;"
                                "UPDATE sink_event SET t_ns = -9223372036854775808, duration_ns = -1;",
    "ids_reordered_and_dangling": "UPDATE chain_io SET chain = chain + 1000000;"
                                  "UPDATE chain_end SET chain = -chain; UPDATE pcm SET chain = 0, id = -id;",
    "chain_values_huge": "UPDATE chain SET queue = 65536, head = -1, rlen = 4294967296,"
                         " wlen = -1, malformed = 7; UPDATE chain_end SET used_len = 4294967295,"
                         " outcome = 9, status = -1;",
    "kinds_unknown": "UPDATE transport_event SET kind = 99, queue = 70000;"
                     "UPDATE device_op SET op = 42; UPDATE sink_event SET kind = 0 WHERE id % 2 = 1;",
    "marks_and_messages_long": "INSERT INTO mark VALUES (999999999, 1, 1, '%s');"
                               "UPDATE sink_event SET msg = '%s' WHERE kind >= 5;"
                               % ("m" * 5000, "e" * 5000),
    "empty_tables": "DELETE FROM transport_event; DELETE FROM chain; DELETE FROM chain_io;"
                    "DELETE FROM chain_end; DELETE FROM pcm; DELETE FROM sink_event;"
                    "DELETE FROM device_op; DELETE FROM control; DELETE FROM pcm_params;",
}


def main():
    os.makedirs(OUT, exist_ok=True)  # inputs found by fuzzing (found_*) are kept
    tmp = tempfile.mkdtemp()
    try:
        for name in BASE:
            compact(os.path.join(ROOT, "tests", "traces", name + ".db"),
                    os.path.join(OUT, "ok_" + name.replace("-", "_")))
        base = os.path.join(OUT, "ok_synth_bad")
        small = os.path.join(OUT, "ok_synth_play_u8")
        for k, sql in SQL.items():
            mutate_sql(base if "params" not in k and "pcm" not in k else small,
                       os.path.join(OUT, k), sql)
        size = os.path.getsize(small)
        # File-level damage.
        open(os.path.join(OUT, "file_empty"), "wb").close()
        open(os.path.join(OUT, "file_not_sqlite"), "wb").write(b"RIFF\x24\x00\x00\x00WAVEfmt " * 8)
        patch(small, os.path.join(OUT, "file_header_only"), [], truncate=100)
        patch(small, os.path.join(OUT, "file_truncated_half"), [], truncate=size // 2)
        patch(small, os.path.join(OUT, "file_truncated_odd"), [], truncate=size - 300)
        patch(small, os.path.join(OUT, "file_page_count_lies"), [(28, b"\x00\x10\x00\x00")])
        patch(small, os.path.join(OUT, "file_wal_header_no_wal"), [(18, b"\x02\x02")])
        patch(small, os.path.join(OUT, "file_bad_page_size"), [(16, b"\x00\x03")])
        patch(small, os.path.join(OUT, "file_page_garbage"), [(size // 2, b"\xff" * 512)])
        patch(small, os.path.join(OUT, "file_schema_page_garbage"), [(100, b"\x0d\x00\x00\xff\xff" * 20)])
        patch(small, os.path.join(OUT, "file_freelist_lies"), [(32, b"\x00\x00\x00\x07\x00\x00\x01\x00")])
        foreign = os.path.join(tmp, "foreign.db")
        db = sqlite3.connect(foreign)
        db.execute("PRAGMA page_size = 512")
        db.execute("CREATE TABLE t (a, b)")
        db.execute("INSERT INTO t VALUES (1, 'x')")
        db.commit()
        db.close()
        shutil.copyfile(foreign, os.path.join(OUT, "file_foreign_sqlite"))
        db = sqlite3.connect(os.path.join(tmp, "noschema.db"))
        db.execute("PRAGMA page_size = 512")
        db.execute("PRAGMA application_id = 1987276388")
        db.execute("PRAGMA user_version = 1")
        db.execute("VACUUM")
        db.close()
        shutil.copyfile(os.path.join(tmp, "noschema.db"), os.path.join(OUT, "file_app_id_no_tables"))
    finally:
        shutil.rmtree(tmp)
    os.makedirs(OUT_REPLAY, exist_ok=True)
    for name in sorted(os.listdir(OUT)):
        if name.startswith("ok_") or name in SQL and not name.startswith(("schema", "meta",
                                                                           "session_", "wrong")):
            shutil.copyfile(os.path.join(OUT, name), os.path.join(OUT_REPLAY, name))


if __name__ == "__main__":
    main()
