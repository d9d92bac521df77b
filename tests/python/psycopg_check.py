"""psycopg 3 against a running Bijli: extended protocol, NUMERIC as Decimal, COPY, errors.

Usage: python3 psycopg_check.py "host=... port=... user=bijli dbname=bijli"
Exits non-zero with a message on the first failed check.
"""
import sys
from decimal import Decimal

import psycopg

conninfo = sys.argv[1]
with psycopg.connect(conninfo, autocommit=True) as conn:
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM bills")
    (n,) = cur.fetchone()
    assert n > 0, f"no bills: {n}"
    # Parameters over the extended protocol; reference lookup.
    cur.execute("SELECT reference FROM bills ORDER BY reference LIMIT 1")
    (ref,) = cur.fetchone()
    cur.execute(
        "SELECT payable_within_due, arrears, current_bill, total_fpa FROM bills WHERE reference = %s",
        (ref,),
    )
    row = cur.fetchone()
    assert row is not None, "lookup by reference returned nothing"
    payable, arrears, current, fpa = row
    assert isinstance(payable, Decimal), f"NUMERIC must arrive as Decimal, got {type(payable)}"
    assert payable == arrears + current + fpa, f"{payable} != {arrears} + {current} + {fpa}"
    # Binary results too.
    bcur = conn.cursor(binary=True)
    bcur.execute("SELECT payable_within_due FROM bills WHERE reference = %s", (ref,))
    (bpayable,) = bcur.fetchone()
    assert bpayable == payable, f"binary {bpayable} != text {payable}"
    # GROUP BY report.
    cur.execute("SELECT category, count(*) AS bills, sum(payable_within_due) FROM bills GROUP BY category ORDER BY category")
    cats = {r[0]: r for r in cur.fetchall()}
    assert "residential" in cats, cats
    # COPY via psycopg.
    with cur.copy("COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv)") as cp:
        cp.write(f"{ref},PSYCOPG-1,123.45,2026-11-22,NBP\n")
    cur.execute("SELECT amount FROM payments WHERE transaction_id = 'PSYCOPG-1'")
    (amount,) = cur.fetchone()
    assert amount == Decimal("123.45"), amount
    # A bad row gives its SQLSTATE and leaves the connection usable.
    try:
        with cur.copy("COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv)") as cp:
            cp.write(f"{ref},PSYCOPG-2,-1.00,2026-11-22,NBP\n")
        raise AssertionError("negative amount accepted")
    except psycopg.Error as e:
        assert e.sqlstate == "22003", (e.sqlstate, str(e))
    try:
        cur.execute("SELEC 1")
        raise AssertionError("bad SQL accepted")
    except psycopg.Error as e:
        assert e.sqlstate == "42601", (e.sqlstate, str(e))
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)
    # CALL through the extended protocol.
    cur.execute("CALL bill_cycle('MEPCO', '2026-11')")
    r = cur.fetchone()
    assert r[0] == "MEPCO" and r[2] == n, r
    # CALL with bound parameters (psycopg's default server-side binding), text and binary
    # results, executed twice as a prepared statement with different values.
    cur.execute("CALL bill_cycle(%s, %s)", ("MEPCO", "2026-11"))
    r = cur.fetchone()
    assert r[0] == "MEPCO" and r[1] == "2026-11" and r[2] == n, r
    bcur.execute("CALL bill_cycle(%s, %s, %s)", ("MEPCO", "2026-11", "2026-12-01"), prepare=True)
    r = bcur.fetchone()
    assert r[0] == "MEPCO" and r[2] == n, r
    cur.execute("SELECT DISTINCT issue_date FROM bills WHERE cycle = '2026-11'")
    assert [str(x[0]) for x in cur.fetchall()] == ["2026-12-01"]
    bcur.execute("CALL bill_cycle(%s, %s, %s)", ("MEPCO", "2026-11", "2026-12-02"), prepare=True)
    bcur.fetchone()
    cur.execute("SELECT DISTINCT issue_date FROM bills WHERE cycle = '2026-11'")
    assert [str(x[0]) for x in cur.fetchall()] == ["2026-12-02"]
    # A bad bound value is refused like a bad literal.
    try:
        cur.execute("CALL bill_cycle(%s, %s)", ("MEPCO", "2026-13"))
        raise AssertionError("bad cycle accepted")
    except psycopg.Error as e:
        assert e.sqlstate == "22023", (e.sqlstate, str(e))
    # Python ints and floats compared with NUMERIC columns (sent as int8 / float8), text and
    # binary: the same answer as a literal and as a Decimal.
    cur.execute("SELECT count(*) FROM bills WHERE payable_within_due > 1000.5")
    want = cur.fetchone()[0]
    assert 0 < want < n, (want, n)
    for v in (Decimal("1000.5"), 1000.5):
        cur.execute("SELECT count(*) FROM bills WHERE payable_within_due > %s", (v,))
        assert cur.fetchone()[0] == want, v
        bcur.execute("SELECT count(*) FROM bills WHERE payable_within_due > %b", (v,))
        assert bcur.fetchone()[0] == want, v
    cur.execute("SELECT count(*) FROM bills WHERE payable_within_due > 1000")
    want_int = cur.fetchone()[0]
    for c in (cur, bcur):
        c.execute("SELECT count(*) FROM bills WHERE payable_within_due > %s", (1000,), prepare=True)
        assert c.fetchone()[0] == want_int
    # A Python int where a CALL takes text (the number of installments), text and binary.
    cur.execute("SELECT reference, payable_within_due FROM bills WHERE payable_within_due > 1000 ORDER BY reference LIMIT 1")
    ref, _ = cur.fetchone()
    cur.execute("CALL grant_installments(%s, %s)", (ref, 3))
    r = cur.fetchone()
    assert r[0] == ref and r[3] == 3, r
    cur.execute("SELECT installments FROM installment_plans WHERE reference = %s", (ref,))
    assert cur.fetchone()[0] == 3
    # NULL for an optional argument is its default (the amount: all that is owed).
    cur.execute("SELECT reference FROM bills WHERE payable_within_due > 1000 AND reference > %s ORDER BY reference LIMIT 1", (ref,))
    ref2 = cur.fetchone()[0]
    cur.execute("CALL grant_installments(%s, %s, %s, %s)", (ref2, 2, None, None))
    r = cur.fetchone()
    assert r[0] == ref2 and r[3] == 2, r
print("psycopg checks passed")
