// pgJDBC (Debian's libpostgresql-jdbc-java) against a running bijli with a billed cycle:
// plain and prepared queries (past the driver's server-prepare threshold), exact NUMERIC as
// BigDecimal, dates, CALL with parameters, SQLSTATEs, DatabaseMetaData as BI tools read it,
// and CopyManager in both directions. Exits non-zero with a message on the first failure.
//
// java -cp /usr/share/java/postgresql.jar tests/java/JdbcCheck.java <host> <port> <disco> <cycle>

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.*;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class JdbcCheck {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAILED: " + what);
            System.exit(1);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/bijli?user=postgres";
        String disco = args[2], cycle = args[3];
        try (Connection c = DriverManager.getConnection(url)) {
            long bills;
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT count(*) FROM bills WHERE cycle = '" + cycle + "'")) {
                check(r.next(), "count row");
                bills = r.getLong(1);
                check(bills > 0, "bills billed: " + bills);
            }
            String reference;
            BigDecimal payable;
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery(
                     "SELECT reference, payable_within_due, due_date FROM bills ORDER BY reference LIMIT 1")) {
                check(r.next(), "first bill");
                reference = r.getString(1);
                payable = r.getBigDecimal(2);
                check(payable.scale() == 2, "NUMERIC(18,2) keeps scale 2: " + payable);
                check(r.getDate(3) != null, "due date as java.sql.Date");
            }
            // Prepared, executed past prepareThreshold (5): the driver switches to a named
            // server-side statement; every execution must agree.
            try (PreparedStatement p = c.prepareStatement(
                     "SELECT payable_within_due, current_bill + total_fpa AS billed FROM bills WHERE reference = ? AND cycle = ?")) {
                for (int i = 0; i < 8; i++) {
                    p.setString(1, reference);
                    p.setString(2, cycle);
                    try (ResultSet r = p.executeQuery()) {
                        check(r.next(), "prepared lookup " + i);
                        check(r.getBigDecimal(1).compareTo(payable) == 0, "prepared payable " + i + ": " + r.getBigDecimal(1));
                        check(!r.next(), "one row " + i);
                    }
                }
            }
            // setInt / setDouble / setBigDecimal against a NUMERIC column: one answer.
            long over;
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT count(*) FROM bills WHERE payable_within_due > 1000.5")) {
                r.next();
                over = r.getLong(1);
            }
            try (PreparedStatement p = c.prepareStatement(
                     "SELECT count(*) FROM bills WHERE payable_within_due > ?")) {
                for (int i = 0; i < 6; i++) {
                    p.setDouble(1, 1000.5);
                    try (ResultSet r = p.executeQuery()) {
                        r.next();
                        check(r.getLong(1) == over, "setDouble " + i + ": " + r.getLong(1) + " vs " + over);
                    }
                    p.setBigDecimal(1, new BigDecimal("1000.5"));
                    try (ResultSet r = p.executeQuery()) {
                        r.next();
                        check(r.getLong(1) == over, "setBigDecimal " + i);
                    }
                    p.setInt(1, 0);
                    try (ResultSet r = p.executeQuery()) {
                        r.next();
                        check(r.getLong(1) > over, "setInt " + i);
                    }
                }
            }
            // The sum of the lines equals the bill (exact decimals through the driver).
            try (PreparedStatement p = c.prepareStatement(
                     "SELECT sum(amount) FROM bill_lines WHERE reference = ? AND cycle = ? AND line NOT IN ('lps')")) {
                p.setString(1, reference);
                p.setString(2, cycle);
                try (ResultSet r = p.executeQuery()) {
                    check(r.next() && r.getBigDecimal(1) != null, "line sum");
                }
            }
            // CALL with bind parameters re-bills the cycle and returns its summary row.
            try (PreparedStatement p = c.prepareStatement("CALL bill_cycle(?, ?)")) {
                p.setString(1, disco);
                p.setString(2, cycle);
                try (ResultSet r = p.executeQuery()) {
                    check(r.next(), "CALL row");
                    check(r.getLong("bills") == bills, "re-bill count " + r.getLong("bills"));
                }
            }
            // SQLSTATEs reach the driver.
            try (Statement s = c.createStatement()) {
                s.executeQuery("CALL bill_cycle('" + disco + "', '2026-13')");
                check(false, "bad cycle accepted");
            } catch (SQLException e) {
                check("22023".equals(e.getSQLState()), "bad cycle SQLSTATE " + e.getSQLState());
            }
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT * FROM no_such_table");
                check(false, "unknown table accepted");
            } catch (SQLException e) {
                check("42P01".equals(e.getSQLState()), "unknown table SQLSTATE " + e.getSQLState());
            }
            // DatabaseMetaData, as BI tools browse a database.
            DatabaseMetaData md = c.getMetaData();
            boolean sawBills = false;
            try (ResultSet t = md.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (t.next()) {
                    if ("bills".equals(t.getString("TABLE_NAME"))) sawBills = true;
                }
            }
            check(sawBills, "getTables lists bills");
            int cols = 0;
            try (ResultSet t = md.getColumns(null, null, "bills", "%")) {
                while (t.next()) cols++;
            }
            check(cols > 20, "getColumns(bills): " + cols);
            // Keys, indexes and procedures as BI tools read them: Bijli declares none.
            ResultSet[] empty = {
                md.getPrimaryKeys(null, null, "bills"),
                md.getImportedKeys(null, null, "bills"),
                md.getExportedKeys(null, null, "consumers"),
                md.getIndexInfo(null, null, "bills", false, true),
                md.getBestRowIdentifier(null, null, "bills", DatabaseMetaData.bestRowSession, true),
                md.getProcedures(null, null, "%"),
                md.getFunctions(null, null, "%"),
            };
            for (ResultSet r : empty) {
                check(!r.next(), "no keys, indexes or procedures are declared");
                r.close();
            }
            // CopyManager: export a query, load a payment.
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            StringWriter w = new StringWriter();
            long n = cm.copyOut("COPY (SELECT reference, payable_within_due FROM bills WHERE cycle = '" + cycle
                                 + "' ORDER BY reference) TO STDOUT WITH (FORMAT csv)", w);
            check(n == bills, "copyOut rows " + n + " of " + bills);
            check(w.toString().startsWith(reference + "," + payable.toPlainString() + "\n"),
                  "copyOut first line: " + w.toString().lines().findFirst().orElse(""));
            long loaded = cm.copyIn(
                "COPY payments (reference, transaction_id, amount, value_date, bank) FROM STDIN WITH (FORMAT csv)",
                new StringReader(reference + ",JDBC-1,100.00,2026-12-05,UBL\n"));
            check(loaded == 1, "copyIn rows " + loaded);
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT amount FROM payments WHERE transaction_id = 'JDBC-1'")) {
                check(r.next() && r.getBigDecimal(1).compareTo(new BigDecimal("100.00")) == 0, "payment stored");
            }
        }
        System.out.println("jdbc ok");
    }
}
