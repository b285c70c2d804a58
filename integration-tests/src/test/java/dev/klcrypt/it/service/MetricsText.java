package dev.klcrypt.it.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of {@code GET /metrics} over the daemon's control socket, parsed strictly as Prometheus
 * text format 0.0.4: every line is a {@code # HELP}, a {@code # TYPE} with a known type (declared
 * once, before its samples) or a sample {@code name{label="value",...} number}; anything else fails
 * the parse.
 */
final class MetricsText {
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)( -?[0-9]+)?");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\"\\\\n])*)\"(,|$)");
  private static final Pattern TYPE =
      Pattern.compile(
          "# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

  record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;
  private final Map<String, String> types;

  private MetricsText(List<Sample> samples, Map<String, String> types) {
    this.samples = samples;
    this.types = types;
  }

  /** {@code GET /metrics HTTP/1.1} on {@code socket}; the reply must be 200 with the 0.0.4 type. */
  static MetricsText scrape(Path socket) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(
          ByteBuffer.wrap(
              "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(65536);
      while (ch.read(buf) >= 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      String reply = out.toString(StandardCharsets.UTF_8);
      int body = reply.indexOf("\r\n\r\n");
      if (!reply.startsWith("HTTP/1.1 200 OK\r\n") || body < 0) {
        throw new IOException("not a 200 reply: " + reply.lines().findFirst().orElse(""));
      }
      String head = reply.substring(0, body).toLowerCase(java.util.Locale.ROOT);
      if (!head.contains("content-type: text/plain; version=0.0.4")) {
        throw new IOException("not Prometheus text 0.0.4: " + head);
      }
      return parse(reply.substring(body + 4));
    }
  }

  static MetricsText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new LinkedHashMap<>();
    Set<String> seenSamples = new HashSet<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("# HELP ")) {
        continue;
      }
      if (line.startsWith("#")) {
        Matcher t = TYPE.matcher(line);
        if (!t.matches() || types.put(t.group(1), t.group(2)) != null) {
          throw new IllegalArgumentException("line " + n + ": bad or repeated TYPE: " + line);
        }
        continue;
      }
      Matcher s = SAMPLE.matcher(line);
      if (!s.matches()) {
        throw new IllegalArgumentException("line " + n + ": not a sample: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (s.group(3) != null && !s.group(3).isEmpty()) {
        Matcher l = LABEL.matcher(s.group(3));
        int at = 0;
        while (at < s.group(3).length()) {
          if (!l.find(at) || l.start() != at) {
            throw new IllegalArgumentException("line " + n + ": bad labels: " + line);
          }
          labels.put(l.group(1), l.group(2));
          at = l.end();
        }
      }
      double value =
          switch (s.group(4)) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(s.group(4));
          };
      if (!seenSamples.add(s.group(1) + labels)) {
        throw new IllegalArgumentException("line " + n + ": repeated sample: " + line);
      }
      String family = familyOf(s.group(1), types);
      if (family == null) {
        throw new IllegalArgumentException("line " + n + ": sample before its TYPE: " + line);
      }
      samples.add(new Sample(s.group(1), labels, value));
    }
    return new MetricsText(samples, types);
  }

  private static String familyOf(String sample, Map<String, String> types) {
    if (types.containsKey(sample)) {
      return sample;
    }
    for (String suffix : List.of("_bucket", "_sum", "_count", "_total", "_created")) {
      if (sample.endsWith(suffix)
          && types.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
        return sample.substring(0, sample.length() - suffix.length());
      }
    }
    return null;
  }

  /** The TYPE declared for the family of sample {@code name}, or null. */
  String type(String name) {
    String family = familyOf(name, types);
    return family == null ? null : types.get(family);
  }

  /** The value of the sample with exactly these labels; fails when there is none. */
  double value(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().equals(labels))
        .mapToDouble(Sample::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no sample " + name + labels + " in the scrape"));
  }

  /** The value of the sample whose labels include {@code labels}, 0 when there is none. */
  double valueOrZero(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value)
        .findFirst()
        .orElse(0);
  }

  List<Sample> samples() {
    return samples;
  }
}
