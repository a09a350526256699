package io.crmlake.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * An independent plain-Java reading of {@code groceries_lines.csv} (member, date, item), with the
 * data set's two day-first date formats, for tests to check Spark's results against.
 */
public final class GroceryLines {
  private static final DateTimeFormatter DASH = DateTimeFormatter.ofPattern("dd-MM-yyyy");
  private static final DateTimeFormatter SLASH = DateTimeFormatter.ofPattern("d/M/yyyy");

  private GroceryLines() {}

  /** One line of the file. */
  public record Line(String member, LocalDate date, String item) {
    /** The basket of the line: one member on one day. */
    public String basket() {
      return member + "@" + date;
    }
  }

  public static List<Line> read(Path file) throws IOException {
    List<Line> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) {
      if (l.isBlank()) {
        continue;
      }
      String[] f = l.split(",");
      out.add(new Line(f[0].trim(), date(f[1].trim()), f[2].trim()));
    }
    return out;
  }

  private static LocalDate date(String s) {
    try {
      return LocalDate.parse(s, DASH);
    } catch (DateTimeParseException e) {
      return LocalDate.parse(s, SLASH);
    }
  }
}
