package dev.klcrypt.daemon.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on anything
 * a Prometheus server would reject or that signals a broken exposition (sample without a TYPE,
 * duplicate series, bad names or escapes, non-cumulative histogram buckets, missing final newline).
 * Reusable by any daemon test that scrapes.
 */
public final class PrometheusText {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern TYPE_LINE =
      Pattern.compile("# TYPE (\\S+) (counter|gauge|histogram|summary|untyped)");
  private static final Pattern HELP_LINE = Pattern.compile("# HELP (\\S+)( .*)?");

  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final Map<String, String> types;
  private final List<Sample> samples;

  private PrometheusText(Map<String, String> types, List<Sample> samples) {
    this.types = types;
    this.samples = samples;
  }

  /**
   * Parses and validates; throws {@link IllegalArgumentException} naming the line on the first
   * violation.
   */
  public static PrometheusText parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("exposition does not end with a newline");
    }
    Map<String, String> types = new LinkedHashMap<>();
    List<Sample> samples = new ArrayList<>();
    Set<String> seriesSeen = new HashSet<>();
    Set<String> familiesWithSamples = new HashSet<>();
    String currentFamily = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      String where = "line " + (i + 1) + " '" + line + "': ";
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        Matcher type = TYPE_LINE.matcher(line);
        if (type.matches()) {
          String family = type.group(1);
          requireName(family, where);
          if (types.put(family, type.group(2)) != null) {
            throw new IllegalArgumentException(where + "second TYPE for " + family);
          }
          if (familiesWithSamples.contains(family)) {
            throw new IllegalArgumentException(where + "TYPE after samples of " + family);
          }
          currentFamily = family;
        } else if (line.startsWith("# TYPE")) {
          throw new IllegalArgumentException(where + "malformed TYPE line");
        } else if (line.startsWith("# HELP") && !HELP_LINE.matcher(line).matches()) {
          throw new IllegalArgumentException(where + "malformed HELP line");
        }
        continue;
      }
      Sample sample = parseSample(line, where);
      String family = familyOf(sample.name(), currentFamily, types);
      if (family == null) {
        throw new IllegalArgumentException(
            where + "sample without a preceding TYPE for its family");
      }
      familiesWithSamples.add(family);
      String key = sample.name() + new TreeMap<>(sample.labels());
      if (!seriesSeen.add(key)) {
        throw new IllegalArgumentException(where + "duplicate series " + key);
      }
      samples.add(sample);
    }
    PrometheusText parsed = new PrometheusText(types, samples);
    parsed.checkHistograms();
    return parsed;
  }

  private static String familyOf(String sampleName, String current, Map<String, String> types) {
    if (current == null) {
      return null;
    }
    String type = types.get(current);
    boolean matches =
        switch (type) {
          case "histogram" ->
              sampleName.equals(current + "_bucket")
                  || sampleName.equals(current + "_count")
                  || sampleName.equals(current + "_sum");
          case "summary" ->
              sampleName.equals(current)
                  || sampleName.equals(current + "_count")
                  || sampleName.equals(current + "_sum");
          default -> sampleName.equals(current);
        };
    return matches ? current : null;
  }

  private static Sample parseSample(String line, String where) {
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    String name = line.substring(0, i);
    requireName(name, where);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        int eq = line.indexOf('=', i);
        if (eq < 0) {
          throw new IllegalArgumentException(where + "label without '='");
        }
        String labelName = line.substring(i, eq);
        if (!LABEL_NAME.matcher(labelName).matches() || labelName.startsWith("__")) {
          throw new IllegalArgumentException(where + "bad label name '" + labelName + "'");
        }
        if (eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
          throw new IllegalArgumentException(where + "label value not quoted");
        }
        StringBuilder value = new StringBuilder();
        int j = eq + 2;
        for (; ; j++) {
          if (j >= line.length()) {
            throw new IllegalArgumentException(where + "unterminated label value");
          }
          char c = line.charAt(j);
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            char next = line.charAt(++j);
            switch (next) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default -> throw new IllegalArgumentException(where + "bad escape \\" + next);
            }
          } else {
            value.append(c);
          }
        }
        if (labels.put(labelName, value.toString()) != null) {
          throw new IllegalArgumentException(where + "repeated label " + labelName);
        }
        i = j + 1;
        if (line.charAt(i) == ',') {
          i++;
        } else if (line.charAt(i) != '}') {
          throw new IllegalArgumentException(where + "expected ',' or '}' after a label");
        }
      }
      i++;
    }
    if (i >= line.length() || line.charAt(i) != ' ') {
      throw new IllegalArgumentException(where + "no space before the value");
    }
    String[] rest = line.substring(i + 1).split(" ");
    if (rest.length < 1 || rest.length > 2) {
      throw new IllegalArgumentException(where + "expected 'value [timestamp]'");
    }
    double value =
        switch (rest[0]) {
          case "+Inf" -> Double.POSITIVE_INFINITY;
          case "-Inf" -> Double.NEGATIVE_INFINITY;
          case "NaN" -> Double.NaN;
          default -> {
            try {
              yield Double.parseDouble(rest[0]);
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException(where + "value '" + rest[0] + "' is not a number");
            }
          }
        };
    if (rest.length == 2) {
      try {
        Long.parseLong(rest[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(where + "timestamp '" + rest[1] + "' is not an integer");
      }
    }
    return new Sample(name, Map.copyOf(labels), value);
  }

  private static void requireName(String name, String where) {
    if (!METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(where + "bad metric name '" + name + "'");
    }
  }

  private void checkHistograms() {
    types.forEach(
        (family, type) -> {
          if (!type.equals("histogram")) {
            return;
          }
          Map<Map<String, String>, List<Sample>> bySeries = new HashMap<>();
          for (Sample s : samples) {
            if (s.name().equals(family + "_bucket")) {
              Map<String, String> series = new HashMap<>(s.labels());
              if (series.remove("le") == null) {
                throw new IllegalArgumentException(family + ": bucket without le");
              }
              bySeries.computeIfAbsent(series, k -> new ArrayList<>()).add(s);
            }
          }
          bySeries.forEach(
              (series, buckets) -> {
                double previousLe = Double.NEGATIVE_INFINITY;
                double previousCount = 0;
                for (Sample b : buckets) {
                  String le = b.labels().get("le");
                  double bound =
                      le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                  if (bound <= previousLe || b.value() < previousCount) {
                    throw new IllegalArgumentException(
                        family + series + ": buckets not increasing at le=" + le);
                  }
                  previousLe = bound;
                  previousCount = b.value();
                }
                if (previousLe != Double.POSITIVE_INFINITY) {
                  throw new IllegalArgumentException(family + series + ": no +Inf bucket");
                }
                double count = value(family + "_count", series);
                if (count != previousCount) {
                  throw new IllegalArgumentException(
                      family + series + ": _count " + count + " != +Inf bucket " + previousCount);
                }
              });
        });
  }

  /** The declared type of a family, or null. */
  public String type(String family) {
    return types.get(family);
  }

  /** All samples in order. */
  public List<Sample> samples() {
    return samples;
  }

  /** The value of the sample with exactly these labels; throws if there is none. */
  public double value(String name, Map<String, String> labels) {
    return find(name, labels)
        .orElseThrow(() -> new IllegalArgumentException("no sample " + name + labels));
  }

  /** The value of the sample with exactly these labels, or empty. */
  public java.util.Optional<Double> find(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().equals(labels))
        .map(Sample::value)
        .findFirst();
  }
}
