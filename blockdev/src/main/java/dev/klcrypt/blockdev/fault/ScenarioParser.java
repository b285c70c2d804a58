package dev.klcrypt.blockdev.fault;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the {@code klcrypt-faults 1} scenario format (docs/FAULTS.md has the grammar). Every
 * refusal is a {@link ScenarioFormatException} naming the line, the column of the offending token
 * and the reason. The step grammar is the same for a file line and for the arguments of {@code
 * klcrypt fault add VOLUME ...}.
 */
public final class ScenarioParser {
  /** Longest scenario file accepted, in characters. */
  public static final int MAX_FILE_CHARS = 1 << 20;

  /** Longest line accepted, in characters. */
  public static final int MAX_LINE_CHARS = 1024;

  /** Most steps one scenario may hold. */
  public static final int MAX_STEPS = 10_000;

  private static final Pattern DURATION = Pattern.compile("([0-9]{1,12})(ms|s|m)");
  private static final Pattern RANGE = Pattern.compile("([0-9]{1,18})(?:-([0-9]{1,18}))?");
  private static final Pattern COUNT = Pattern.compile("[0-9]{1,18}");
  private static final Pattern SEED = Pattern.compile("-?[0-9]{1,19}");
  private static final Pattern RATE =
      Pattern.compile("([0-9]{1,3}(?:\\.[0-9]{1,17})?(?:[eE]-?[0-9]{1,3})?)(%?)");
  private static final String FAULTS =
      "error, flakey, drop, corrupt, delay, powercut, clear or keylocker";

  private ScenarioParser() {}

  /** Parses a scenario file (UTF-8). */
  public static Scenario parseFile(Path file) throws IOException, ScenarioFormatException {
    if (Files.size(file) > MAX_FILE_CHARS * 4L) {
      throw new ScenarioFormatException(
          1, 0, "file is larger than " + MAX_FILE_CHARS + " characters");
    }
    byte[] bytes = Files.readAllBytes(file);
    StringBuilder text = new StringBuilder(bytes.length);
    int line = 1;
    int from = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == '\n') {
        try {
          text.append(
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(bytes, from, i - from)));
        } catch (CharacterCodingException e) {
          throw new ScenarioFormatException(line, 0, "line is not valid UTF-8");
        }
        if (i < bytes.length) {
          text.append('\n');
        }
        line++;
        from = i + 1;
      }
    }
    return parse(text.toString());
  }

  /** Parses a whole scenario. */
  public static Scenario parse(String text) throws ScenarioFormatException {
    if (text.length() > MAX_FILE_CHARS) {
      throw new ScenarioFormatException(
          1, 0, "file is larger than " + MAX_FILE_CHARS + " characters");
    }
    String[] lines = text.split("\n", -1);
    boolean header = false;
    OptionalLong seed = OptionalLong.empty();
    int seedLine = 0;
    List<Scenario.Line> steps = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      int lineNo = i + 1;
      List<Token> tokens = tokenize(lines[i], lineNo);
      if (tokens.isEmpty()) {
        continue;
      }
      Cursor c = new Cursor(tokens, lineNo);
      Token first = c.next("");
      if (!header) {
        if (!first.text().equals("klcrypt-faults")) {
          throw c.error(
              first, "expected the header '" + Scenario.HEADER + "' before anything else");
        }
        Token version = c.next("a format version after 'klcrypt-faults'");
        if (!COUNT.matcher(version.text()).matches()) {
          throw c.error(version, "format version '" + version.text() + "' is not a number");
        }
        if (!version.text().equals(Integer.toString(Scenario.VERSION))) {
          throw c.error(
              version,
              "unsupported format version "
                  + version.text()
                  + " (this build reads version "
                  + Scenario.VERSION
                  + ")");
        }
        c.end();
        header = true;
      } else if (first.text().equals("klcrypt-faults")) {
        throw c.error(first, "header repeated (it belongs on the first line only)");
      } else if (first.text().equals("seed")) {
        if (seed.isPresent()) {
          throw c.error(first, "seed given twice (first on line " + seedLine + ")");
        }
        if (!steps.isEmpty()) {
          throw c.error(first, "seed must come before the first step");
        }
        Token value = c.next("a number after 'seed'");
        seed = OptionalLong.of(parseSeed(c, value));
        seedLine = lineNo;
        c.end();
      } else {
        if (steps.size() == MAX_STEPS) {
          throw c.error(first, "more than " + MAX_STEPS + " steps");
        }
        c.back();
        steps.add(new Scenario.Line(lineNo, step(c)));
      }
    }
    if (!header) {
      throw new ScenarioFormatException(
          1, 0, "empty scenario: missing the header '" + Scenario.HEADER + "'");
    }
    return new Scenario(Scenario.VERSION, seed, steps);
  }

  /** Parses one step line (the trigger may be left out, meaning {@code now}). */
  public static FaultStep parseStep(String line) throws ScenarioFormatException {
    List<Token> tokens = tokenize(line, 1);
    if (tokens.isEmpty()) {
      throw new ScenarioFormatException(
          1, 0, "empty step: expected a trigger or a fault (" + FAULTS + ")");
    }
    return step(new Cursor(tokens, 1));
  }

  /**
   * Parses the arguments of {@code klcrypt fault add VOLUME ...}: joined with spaces, then read as
   * one step line.
   */
  public static FaultStep parseStep(List<String> args) throws ScenarioFormatException {
    return parseStep(String.join(" ", args));
  }

  // ---- steps

  private static FaultStep step(Cursor c) throws ScenarioFormatException {
    Trigger trigger = trigger(c);
    Token kind = c.next("a fault (" + FAULTS + ")");
    FaultSpec fault =
        switch (kind.text()) {
          case "error" -> error(c);
          case "flakey" -> flakey(c);
          case "drop" -> drop(c);
          case "corrupt" -> corrupt(c);
          case "delay" -> delay(c);
          case "powercut" -> powerCut(c);
          case "clear" -> new ClearFaults();
          case "keylocker" -> keyLocker(c);
          default ->
              throw c.error(kind, "unknown fault '" + kind.text() + "' (expected " + FAULTS + ")");
        };
    c.end();
    return new FaultStep(trigger, fault);
  }

  private static Trigger trigger(Cursor c) throws ScenarioFormatException {
    Token t = c.next("a trigger or a fault");
    switch (t.text()) {
      case "now":
        return new Trigger.Now();
      case "at":
        return new Trigger.At(duration(c, c.next("a time after 'at' (e.g. 250ms, 2s, 1m)")));
      case "after":
        {
          Token n = c.next("a count after 'after'");
          long count = count(c, n);
          if (count < 1) {
            throw c.error(
                n, "count must be at least 1 (use 'now' or 'on OP' for the first operation)");
          }
          Token ops =
              c.next("an operation kind after the count (reads, writes, flushes, discards, ops)");
          return new Trigger.After(count, opPlural(c, ops));
        }
      case "on":
        return new Trigger.On(
            op(c, c.next("an operation after 'on' (read, write, flush, discard, any)")));
      default:
        c.back();
        return new Trigger.Now();
    }
  }

  private static ErrorRule error(Cursor c) throws ScenarioFormatException {
    Token opTok = c.next("an operation after 'error' (read, write, flush, discard, any)");
    BlockOp op = op(c, opTok);
    Rest r = rest(c, "error", Set.of("errno", "rate", "seed", "times"));
    SectorRange range = rangeFor(c, op, r, opTok);
    return new ErrorRule(
        op,
        range,
        r.has("errno") ? errno(c, r.value("errno")) : FaultErrno.EIO,
        r.has("rate") ? rate(c, r.value("rate")) : 1.0,
        r.has("seed") ? OptionalLong.of(parseSeed(c, r.value("seed"))) : OptionalLong.empty(),
        r.has("times") ? times(c, r.value("times")) : 0);
  }

  private static FlakeyRule flakey(Cursor c) throws ScenarioFormatException {
    Token kind = c.previous();
    Rest r = rest(c, "flakey", Set.of("up", "down", "mode", "errno"));
    if (r.range != null) {
      throw c.error(r.rangeToken, "flakey takes no sector range (it affects the whole store)");
    }
    if (!r.has("up") || !r.has("down")) {
      throw c.error(kind, "flakey needs both up=DURATION and down=DURATION");
    }
    Duration up = positiveDuration(c, r.value("up"));
    Duration down = positiveDuration(c, r.value("down"));
    FlakeyRule.DownBehaviour mode = FlakeyRule.DownBehaviour.ERROR;
    if (r.has("mode")) {
      Token m = r.value("mode");
      mode =
          switch (m.text()) {
            case "error" -> FlakeyRule.DownBehaviour.ERROR;
            case "drop-writes" -> FlakeyRule.DownBehaviour.DROP_WRITES;
            default ->
                throw c.error(m, "flakey mode '" + m.text() + "' is not error or drop-writes");
          };
    }
    if (mode == FlakeyRule.DownBehaviour.DROP_WRITES && r.has("errno")) {
      throw c.error(r.value("errno"), "errno= applies only to mode=error");
    }
    return new FlakeyRule(
        up, down, mode, r.has("errno") ? errno(c, r.value("errno")) : FaultErrno.EIO);
  }

  private static DropWritesRule drop(Cursor c) throws ScenarioFormatException {
    Token opTok = c.next("an operation after 'drop' (write, discard, flush, any)");
    BlockOp op = op(c, opTok);
    if (op == BlockOp.READ) {
      throw c.error(opTok, "reads cannot be dropped (drop takes write, discard, flush or any)");
    }
    Rest r = rest(c, "drop", Set.of("times"));
    SectorRange range = rangeFor(c, op, r, opTok);
    return new DropWritesRule(op, range, r.has("times") ? times(c, r.value("times")) : 0);
  }

  private static CorruptRule corrupt(Cursor c) throws ScenarioFormatException {
    Token opTok = c.next("'read' or 'write' after 'corrupt'");
    BlockOp op = op(c, opTok);
    if (op != BlockOp.READ && op != BlockOp.WRITE) {
      throw c.error(opTok, "corrupt takes read or write, not " + opTok.text());
    }
    Rest r = rest(c, "corrupt", Set.of("bytes", "rate", "seed", "times"));
    SectorRange range = r.range != null ? r.range : SectorRange.ALL;
    int bytes = 1;
    if (r.has("bytes")) {
      Token b = r.value("bytes");
      long n = count(c, b);
      if (n < 1 || n > CorruptRule.MAX_BYTES) {
        throw c.error(b, "bytes=" + b.text() + " is outside 1.." + CorruptRule.MAX_BYTES);
      }
      bytes = (int) n;
    }
    return new CorruptRule(
        op,
        range,
        bytes,
        r.has("rate") ? rate(c, r.value("rate")) : 1.0,
        r.has("seed") ? OptionalLong.of(parseSeed(c, r.value("seed"))) : OptionalLong.empty(),
        r.has("times") ? times(c, r.value("times")) : 0);
  }

  private static DelayRule delay(Cursor c) throws ScenarioFormatException {
    Token opTok = c.next("an operation after 'delay' (read, write, flush, discard, any)");
    BlockOp op = op(c, opTok);
    Token d = c.next("a delay after the operation (e.g. 20ms)");
    Duration delay = positiveDuration(c, d);
    if (delay.compareTo(DelayRule.MAX_DELAY) > 0) {
      throw c.error(
          d, "delay " + d.text() + " is longer than " + Durations.text(DelayRule.MAX_DELAY));
    }
    Rest r = rest(c, "delay", Set.of("times"));
    SectorRange range = rangeFor(c, op, r, opTok);
    return new DelayRule(op, range, delay, r.has("times") ? times(c, r.value("times")) : 0);
  }

  private static PowerCut powerCut(Cursor c) throws ScenarioFormatException {
    Rest r = rest(c, "powercut", Set.of("then"));
    if (r.range != null) {
      throw c.error(r.rangeToken, "powercut takes no sector range");
    }
    if (!r.has("then")) {
      return new PowerCut(PowerCut.AfterCut.OFF);
    }
    Token t = r.value("then");
    return switch (t.text()) {
      case "off" -> new PowerCut(PowerCut.AfterCut.OFF);
      case "continue" -> new PowerCut(PowerCut.AfterCut.CONTINUE);
      default -> throw c.error(t, "then='" + t.text() + "' is not off or continue");
    };
  }

  private static KeyLockerFaultSpec keyLocker(Cursor c) throws ScenarioFormatException {
    Token kindTok = c.next("a Key Locker fault after 'keylocker'");
    KeyLockerFaultSpec.Kind kind = null;
    for (KeyLockerFaultSpec.Kind k : KeyLockerFaultSpec.Kind.values()) {
      if (k.token().equals(kindTok.text())) {
        kind = k;
      }
    }
    if (kind == null) {
      throw c.error(
          kindTok,
          "unknown Key Locker fault '"
              + kindTok.text()
              + "' (expected restore-failure, backup-write-failure, iwkey-replaced-without-backup,"
              + " no-backup-support or nobackup-iwkey)");
    }
    Set<String> allowed =
        kind == KeyLockerFaultSpec.Kind.RESTORE_FAILURE
            ? Set.of("kind")
            : kind.isSwitch() ? Set.of("state") : Set.of();
    Rest r = rest(c, "keylocker " + kind.token(), allowed);
    if (r.range != null) {
      throw c.error(r.rangeToken, "Key Locker faults take no sector range");
    }
    if (kind == KeyLockerFaultSpec.Kind.RESTORE_FAILURE) {
      if (!r.has("kind")) {
        throw c.error(
            kindTok,
            "restore-failure needs kind=missing|corrupt|wrong-boot|replayed|unsealable|forced");
      }
      Token how = r.value("kind");
      KeyLockerFaultSpec.RestoreFailure failure =
          switch (how.text()) {
            case "missing" -> KeyLockerFaultSpec.RestoreFailure.MISSING;
            case "corrupt" -> KeyLockerFaultSpec.RestoreFailure.CORRUPT;
            case "wrong-boot", "replayed" -> KeyLockerFaultSpec.RestoreFailure.WRONG_BOOT;
            case "unsealable" -> KeyLockerFaultSpec.RestoreFailure.UNSEALABLE;
            case "forced" -> KeyLockerFaultSpec.RestoreFailure.FORCED;
            default ->
                throw c.error(
                    how,
                    "restore failure kind '"
                        + how.text()
                        + "' is not missing, corrupt, wrong-boot, replayed, unsealable or forced");
          };
      return KeyLockerFaultSpec.restoreFailure(failure);
    }
    boolean enabled = true;
    if (r.has("state")) {
      Token s = r.value("state");
      enabled =
          switch (s.text()) {
            case "on" -> true;
            case "off" -> false;
            default -> throw c.error(s, "state='" + s.text() + "' is not on or off");
          };
    }
    return new KeyLockerFaultSpec(kind, null, enabled);
  }

  // ---- pieces

  /**
   * The optional {@code sectors RANGE} and {@code key=value} options that follow a fault's
   * positional words.
   */
  private static final class Rest {
    SectorRange range;
    Token rangeToken;
    final Map<String, Token> options = new HashMap<>();

    boolean has(String key) {
      return options.containsKey(key);
    }

    Token value(String key) {
      return options.get(key);
    }
  }

  private static Rest rest(Cursor c, String fault, Set<String> allowed)
      throws ScenarioFormatException {
    Rest r = new Rest();
    while (c.hasNext()) {
      Token t = c.next("");
      String rangeText = null;
      if (t.text().equals("sectors")) {
        Token v = c.next("a sector range after 'sectors' (FIRST-LAST or SECTOR)");
        rangeText = v.text();
        t = v;
      } else if (t.text().startsWith("sectors=")) {
        rangeText = t.text().substring("sectors=".length());
      }
      if (rangeText != null) {
        if (r.range != null) {
          throw c.error(t, "sector range given twice");
        }
        r.range = range(c, t, rangeText);
        r.rangeToken = t;
        continue;
      }
      int eq = t.text().indexOf('=');
      if (eq <= 0) {
        throw c.error(t, "unexpected '" + t.text() + "' in " + fault + expected(allowed));
      }
      String key = t.text().substring(0, eq);
      if (!allowed.contains(key)) {
        throw c.error(t, "unknown option '" + key + "' for " + fault + expected(allowed));
      }
      if (r.options.containsKey(key)) {
        throw c.error(t, "option '" + key + "' given twice");
      }
      String value = t.text().substring(eq + 1);
      if (value.isEmpty()) {
        throw c.error(t, "option '" + key + "' has no value");
      }
      r.options.put(key, new Token(value, t.column() + eq + 1));
    }
    return r;
  }

  private static String expected(Set<String> allowed) {
    if (allowed.isEmpty()) {
      return " (it takes no options)";
    }
    return " (expected "
        + String.join(", ", allowed.stream().sorted().map(k -> k + "=").toList())
        + ")";
  }

  private static SectorRange rangeFor(Cursor c, BlockOp op, Rest r, Token opTok)
      throws ScenarioFormatException {
    if (r.range == null) {
      return SectorRange.ALL;
    }
    if (op == BlockOp.FLUSH) {
      throw c.error(
          r.rangeToken, "a flush has no sectors, so '" + opTok.text() + "' takes no sector range");
    }
    return r.range;
  }

  private static SectorRange range(Cursor c, Token t, String text) throws ScenarioFormatException {
    Matcher m = RANGE.matcher(text);
    if (!m.matches()) {
      throw c.error(
          t, "sector range '" + text + "' is not FIRST-LAST or SECTOR (decimal 512-byte sectors)");
    }
    long first = Long.parseLong(m.group(1));
    long last = m.group(2) == null ? first : Long.parseLong(m.group(2));
    if (last < first) {
      throw c.error(t, "sector range '" + text + "' ends before it starts");
    }
    if (last > SectorRange.ALL.last()) {
      throw c.error(t, "sector range '" + text + "' is beyond the largest addressable sector");
    }
    return new SectorRange(first, last);
  }

  private static BlockOp op(Cursor c, Token t) throws ScenarioFormatException {
    for (BlockOp op : BlockOp.values()) {
      if (op.token().equals(t.text())) {
        return op;
      }
    }
    throw c.error(
        t, "unknown operation '" + t.text() + "' (expected read, write, flush, discard or any)");
  }

  private static BlockOp opPlural(Cursor c, Token t) throws ScenarioFormatException {
    for (BlockOp op : BlockOp.values()) {
      if (op.pluralToken().equals(t.text())
          || op.token().equals(t.text())
          || (op == BlockOp.ANY && t.text().equals("op"))) {
        return op;
      }
    }
    throw c.error(
        t,
        "unknown operation '" + t.text() + "' (expected reads, writes, flushes, discards or ops)");
  }

  private static Duration duration(Cursor c, Token t) throws ScenarioFormatException {
    Matcher m = DURATION.matcher(t.text());
    if (!m.matches()) {
      throw c.error(
          t, "time '" + t.text() + "' is not a whole number with ms, s or m (e.g. 250ms, 2s, 1m)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      default -> Duration.ofMinutes(n);
    };
  }

  private static Duration positiveDuration(Cursor c, Token t) throws ScenarioFormatException {
    Duration d = duration(c, t);
    if (d.isZero()) {
      throw c.error(t, "time '" + t.text() + "' must be at least 1ms");
    }
    return d;
  }

  private static long count(Cursor c, Token t) throws ScenarioFormatException {
    if (!COUNT.matcher(t.text()).matches()) {
      throw c.error(t, "'" + t.text() + "' is not a whole number");
    }
    return Long.parseLong(t.text());
  }

  private static long times(Cursor c, Token t) throws ScenarioFormatException {
    long n = count(c, t);
    if (n < 1) {
      throw c.error(t, "times=" + t.text() + " must be at least 1 (leave it out for no limit)");
    }
    return n;
  }

  private static long parseSeed(Cursor c, Token t) throws ScenarioFormatException {
    if (!SEED.matcher(t.text()).matches()) {
      throw c.error(t, "seed '" + t.text() + "' is not a 64-bit integer");
    }
    try {
      return Long.parseLong(t.text());
    } catch (NumberFormatException e) {
      throw c.error(t, "seed '" + t.text() + "' is not a 64-bit integer");
    }
  }

  private static double rate(Cursor c, Token t) throws ScenarioFormatException {
    Matcher m = RATE.matcher(t.text());
    if (!m.matches()) {
      throw c.error(t, "rate '" + t.text() + "' is not a number in 0..1 or a percentage");
    }
    BigDecimal v = new BigDecimal(m.group(1));
    if (!m.group(2).isEmpty()) {
      v = v.movePointLeft(2);
    }
    if (v.compareTo(BigDecimal.ONE) > 0) {
      throw c.error(t, "rate '" + t.text() + "' is above 1 (100%)");
    }
    return v.doubleValue();
  }

  private static FaultErrno errno(Cursor c, Token t) throws ScenarioFormatException {
    try {
      return FaultErrno.valueOf(t.text().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw c.error(
          t,
          "errno '"
              + t.text()
              + "' is not allowed (allowed: EIO, ENXIO, ENOSPC, EROFS, ETIMEDOUT)");
    }
  }

  // ---- tokens

  private record Token(String text, int column) {}

  private static List<Token> tokenize(String rawLine, int lineNo) throws ScenarioFormatException {
    String line = rawLine.endsWith("\r") ? rawLine.substring(0, rawLine.length() - 1) : rawLine;
    if (line.length() > MAX_LINE_CHARS) {
      throw new ScenarioFormatException(
          lineNo, MAX_LINE_CHARS + 1, "line is longer than " + MAX_LINE_CHARS + " characters");
    }
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    while (i < line.length()) {
      char ch = line.charAt(i);
      if (ch == '#') {
        break;
      }
      if (ch == ' ' || ch == '\t') {
        i++;
        continue;
      }
      if (ch < 0x20 || ch == 0x7f) {
        throw new ScenarioFormatException(
            lineNo, i + 1, "control character U+" + String.format(Locale.ROOT, "%04X", (int) ch));
      }
      int start = i;
      while (i < line.length()) {
        char d = line.charAt(i);
        if (d == ' ' || d == '\t' || d == '#') {
          break;
        }
        if (d < 0x20 || d == 0x7f) {
          throw new ScenarioFormatException(
              lineNo, i + 1, "control character U+" + String.format(Locale.ROOT, "%04X", (int) d));
        }
        i++;
      }
      tokens.add(new Token(line.substring(start, i), start + 1));
    }
    return tokens;
  }

  private static final class Cursor {
    private final List<Token> tokens;
    private final int line;
    private int next;

    Cursor(List<Token> tokens, int line) {
      this.tokens = tokens;
      this.line = line;
    }

    boolean hasNext() {
      return next < tokens.size();
    }

    Token next(String expected) throws ScenarioFormatException {
      if (!hasNext()) {
        Token last = tokens.get(tokens.size() - 1);
        throw new ScenarioFormatException(
            line,
            last.column() + last.text().length() + 1,
            "line ends early: expected " + expected);
      }
      return tokens.get(next++);
    }

    Token previous() {
      return tokens.get(next - 1);
    }

    void back() {
      next--;
    }

    void end() throws ScenarioFormatException {
      if (hasNext()) {
        Token t = tokens.get(next);
        throw error(t, "unexpected '" + t.text() + "' at the end of the line");
      }
    }

    ScenarioFormatException error(Token t, String reason) {
      return new ScenarioFormatException(line, t.column(), reason);
    }
  }
}
