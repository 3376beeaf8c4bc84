// Regenerates casetable.go's data: run with any JDK and compare the output
// with Go's unicode.ToLower/ToUpper, keeping the rows that differ (and where
// Java maps the character at all: newer Unicode versions in Go win).
//
//   javac CaseTable.java && java CaseTable > java_case.tsv
//
// Each row is: code point, lower-case mapping, upper-case mapping, all as
// space-separated hexadecimal code points.
import java.util.Locale;

public class CaseTable {
  public static void main(String[] args) {
    StringBuilder sb = new StringBuilder();
    for (int cp = 0; cp <= 0x10FFFF; cp++) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      String s = new String(Character.toChars(cp));
      String lo = s.toLowerCase(Locale.ROOT), up = s.toUpperCase(Locale.ROOT);
      if (lo.equals(s) && up.equals(s)) continue;
      sb.append(Integer.toHexString(cp)).append('\t').append(hex(lo)).append('\t').append(hex(up)).append('\n');
    }
    System.out.print(sb);
  }

  static String hex(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (b.length() > 0) b.append(' ');
      b.append(Integer.toHexString(c));
    });
    return b.toString();
  }
}
