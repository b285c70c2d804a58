package dev.klcrypt.daemon.table;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The volume table ({@code /etc/klcrypt/klcrypttab}) in crypttab(5) syntax, one volume per line:
 *
 * <pre>{@code
 * # name   image                     key                      options
 * data     /srv/klcrypt/data.img     /etc/klcrypt/data.key    luks,discard
 * scratch  /srv/klcrypt/scratch.img  none                     ephemeral,sector-size=4096
 * home     /srv/klcrypt/home.img     -                        luks,nofail
 * }</pre>
 *
 * <p>Fields are separated by spaces or tabs; a line whose first non-blank character is {@code #} is
 * a comment; blank lines are ignored. Two to four fields: the key field defaults to {@code none},
 * the options to none. In the name, image and key fields {@code \ooo} (three octal digits, e.g.
 * {@code \040} for a space) and {@code \\} stand for the character, as in fstab. Image and key
 * paths must be absolute. Options: {@code luks}, {@code discard}, {@code sector-size=512|4096},
 * {@code nofail}, {@code readonly}, {@code ephemeral}.
 *
 * <p>A bad line is refused with a {@link TableProblem} ({@code FILE:LINE: reason}); every other
 * line is still served. A repeated name or image is refused on the later line. Reading the table
 * never touches the images or key files.
 */
public final class VolumeTable {
  /** Tables larger than this are refused as a whole: a crypttab is a few lines, not megabytes. */
  public static final int MAX_FILE_BYTES = 1 << 20;

  private static final int MAX_LINE_CHARS = 8192;
  private static final String KNOWN_OPTIONS =
      "luks, discard, sector-size=512|4096, nofail, readonly, ephemeral";

  private final Path file;
  private final List<VolumeTableEntry> entries;
  private final List<TableProblem> problems;

  private VolumeTable(Path file, List<VolumeTableEntry> entries, List<TableProblem> problems) {
    this.file = file;
    this.entries = List.copyOf(entries);
    this.problems = List.copyOf(problems);
  }

  /**
   * Reads and parses a table file.
   *
   * @throws IOException when the file cannot be read or is larger than {@link #MAX_FILE_BYTES}; bad
   *     lines are not exceptions but {@link #problems()}
   */
  public static VolumeTable read(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException(
          file + ": volume table is " + size + " bytes, the limit is " + MAX_FILE_BYTES);
    }
    return parse(file, Files.readAllBytes(file));
  }

  /** Parses table content; {@code file} only names the source in problems. */
  public static VolumeTable parse(Path file, byte[] content) {
    List<VolumeTableEntry> entries = new ArrayList<>();
    List<TableProblem> problems = new ArrayList<>();
    Map<String, Integer> nameLines = new HashMap<>();
    Map<Path, VolumeTableEntry> images = new HashMap<>();
    int lineNumber = 0;
    int start = 0;
    while (start < content.length) {
      int end = start;
      while (end < content.length && content[end] != '\n') {
        end++;
      }
      lineNumber++;
      int line = lineNumber;
      Optional<VolumeTableEntry> parsed =
          decodeLine(content, start, end)
              .map(text -> parseLine(text, line))
              .orElseGet(() -> LineResult.refused("line is not valid UTF-8"))
              .report(file, line, problems);
      start = end + 1;
      if (parsed.isEmpty()) {
        continue;
      }
      VolumeTableEntry entry = parsed.get();
      Integer earlierName = nameLines.get(entry.name());
      VolumeTableEntry earlierImage = images.get(entry.image());
      if (earlierName != null) {
        problems.add(
            new TableProblem(
                file,
                line,
                "volume name '" + entry.name() + "' is already defined on line " + earlierName));
      } else if (earlierImage != null) {
        problems.add(
            new TableProblem(
                file,
                line,
                "image "
                    + entry.image()
                    + " is already used by volume '"
                    + earlierImage.name()
                    + "' on line "
                    + earlierImage.line()));
      } else {
        nameLines.put(entry.name(), line);
        images.put(entry.image(), entry);
        entries.add(entry);
      }
    }
    return new VolumeTable(file, entries, problems);
  }

  /** The table file this was read from. */
  public Path file() {
    return file;
  }

  /** The accepted entries, in file order. */
  public List<VolumeTableEntry> entries() {
    return entries;
  }

  /** The refused lines, in file order. */
  public List<TableProblem> problems() {
    return problems;
  }

  /** The entry called {@code name}, if the table has one. */
  public Optional<VolumeTableEntry> entry(String name) {
    return entries.stream().filter(e -> e.name().equals(name)).findFirst();
  }

  /**
   * What changed from {@code previous} to this table, for a reload (SIGHUP): entries to open, to
   * close, and to reopen.
   */
  public TableChanges changesSince(VolumeTable previous) {
    Map<String, VolumeTableEntry> before = new LinkedHashMap<>();
    previous.entries.forEach(e -> before.put(e.name(), e));
    List<VolumeTableEntry> added = new ArrayList<>();
    List<VolumeTableEntry> changed = new ArrayList<>();
    List<VolumeTableEntry> unchanged = new ArrayList<>();
    for (VolumeTableEntry now : entries) {
      VolumeTableEntry old = before.remove(now.name());
      if (old == null) {
        added.add(now);
      } else if (old.sameSettings(now)) {
        unchanged.add(now);
      } else {
        changed.add(now);
      }
    }
    return new TableChanges(added, List.copyOf(before.values()), changed, unchanged);
  }

  private static Optional<String> decodeLine(byte[] content, int start, int end) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(content, start, end - start))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  private static LineResult parseLine(String raw, int line) {
    String text = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
    String trimmed = text.strip();
    if (trimmed.isEmpty() || trimmed.startsWith("#")) {
      return LineResult.SKIP;
    }
    if (text.length() > MAX_LINE_CHARS) {
      return LineResult.refused(
          "line is " + text.length() + " characters long, the limit is " + MAX_LINE_CHARS);
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return LineResult.refused(
            String.format("control character U+%04X at column %d", (int) c, i + 1));
      }
    }
    String[] fields = trimmed.split("[ \t]+");
    if (fields.length < 2) {
      return LineResult.refused(
          "expected 'name image [key [options]]', found only one field '" + fields[0] + "'");
    }
    if (fields.length > 4) {
      return LineResult.refused(
          "expected at most 4 fields (name image key options), found "
              + fields.length
              + "; write options comma-separated without spaces");
    }
    try {
      String name = unescape(fields[0], "name");
      Optional<String> badName = VolumeName.whyInvalid(name);
      if (badName.isPresent()) {
        return LineResult.refused(badName.get());
      }
      Path image = absolutePath(unescape(fields[1], "image"), "image");
      ParsedOptions options =
          fields.length == 4
              ? parseOptions(fields[3])
              : new ParsedOptions(VolumeOptions.NONE, false);
      String keyField = fields.length >= 3 ? unescape(fields[2], "key") : "none";
      KeySource keySource;
      if (keyField.equals("none") || keyField.equals("-")) {
        keySource = options.ephemeral ? new KeySource.Ephemeral() : new KeySource.Prompt();
      } else if (options.ephemeral) {
        return LineResult.refused(
            "ephemeral volumes get a fresh random key at every start; the key field must be 'none' or '-', not '"
                + keyField
                + "'");
      } else {
        keySource = new KeySource.KeyFile(absolutePath(keyField, "key file"));
      }
      if (options.ephemeral && options.volume.readOnly()) {
        return LineResult.refused(
            "options 'ephemeral' and 'readonly' conflict: an ephemeral volume is formatted at every start");
      }
      return LineResult.accepted(
          new VolumeTableEntry(name, image, keySource, options.volume, line));
    } catch (BadFieldException e) {
      return LineResult.refused(e.getMessage());
    }
  }

  private record ParsedOptions(VolumeOptions volume, boolean ephemeral) {}

  private static ParsedOptions parseOptions(String field) throws BadFieldException {
    boolean luks = false;
    boolean discard = false;
    boolean noFail = false;
    boolean readOnly = false;
    boolean ephemeral = false;
    OptionalInt sectorSize = OptionalInt.empty();
    List<String> seen = new ArrayList<>();
    for (String option : field.split(",", -1)) {
      if (option.isEmpty()) {
        throw new BadFieldException("empty option in '" + field + "'");
      }
      int eq = option.indexOf('=');
      String key = eq < 0 ? option : option.substring(0, eq);
      String value = eq < 0 ? null : option.substring(eq + 1);
      if (seen.contains(key)) {
        throw new BadFieldException("option '" + key + "' is given twice");
      }
      seen.add(key);
      switch (key) {
        case "luks" -> luks = flag(key, value);
        case "discard" -> discard = flag(key, value);
        case "nofail" -> noFail = flag(key, value);
        case "readonly" -> readOnly = flag(key, value);
        case "ephemeral" -> ephemeral = flag(key, value);
        case "sector-size" -> sectorSize = OptionalInt.of(sectorSize(value));
        default ->
            throw new BadFieldException(
                "unknown option '" + key + "' (known: " + KNOWN_OPTIONS + ")");
      }
    }
    return new ParsedOptions(
        new VolumeOptions(luks, discard, sectorSize, noFail, readOnly), ephemeral);
  }

  private static boolean flag(String key, String value) throws BadFieldException {
    if (value != null) {
      throw new BadFieldException(
          "option '" + key + "' takes no value, got '" + key + "=" + value + "'");
    }
    return true;
  }

  private static int sectorSize(String value) throws BadFieldException {
    if (value == null || value.isEmpty()) {
      throw new BadFieldException(
          "option 'sector-size' needs a value: sector-size=512 or sector-size=4096");
    }
    return switch (value) {
      case "512" -> 512;
      case "4096" -> 4096;
      default ->
          throw new BadFieldException(
              "option 'sector-size' must be 512 or 4096, got '" + value + "'");
    };
  }

  private static Path absolutePath(String value, String field) throws BadFieldException {
    String upper = value.toUpperCase(Locale.ROOT);
    for (String tag : List.of("UUID=", "LABEL=", "PARTUUID=", "PARTLABEL=")) {
      if (upper.startsWith(tag)) {
        throw new BadFieldException(
            field
                + " '"
                + value
                + "': "
                + tag
                + " device specifiers are not supported, give an absolute path");
      }
    }
    if (!value.startsWith("/")) {
      throw new BadFieldException(field + " '" + value + "' is not an absolute path");
    }
    Path path;
    try {
      path = Path.of(value).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new BadFieldException(field + " '" + value + "' is not a valid path: " + e.getReason());
    }
    if (path.getNameCount() == 0) {
      throw new BadFieldException(field + " '" + value + "' names the root directory");
    }
    return path;
  }

  /** Decodes {@code \ooo} and {@code \\}; any other backslash sequence is refused. */
  private static String unescape(String field, String what) throws BadFieldException {
    if (field.indexOf('\\') < 0) {
      return field;
    }
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (i + 1 < field.length() && field.charAt(i + 1) == '\\') {
        out.append('\\');
        i++;
        continue;
      }
      if (isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
        int code = Integer.parseInt(field.substring(i + 1, i + 4), 8);
        if (code == 0 || code > 0x7f) {
          throw new BadFieldException(
              what
                  + " field: escape '"
                  + field.substring(i, i + 4)
                  + "' is not a printable ASCII character");
        }
        out.append((char) code);
        i += 3;
        continue;
      }
      throw new BadFieldException(
          what
              + " field: bad escape at column "
              + (i + 1)
              + " (use \\ooo octal, e.g. \\040 for a space, or \\\\)");
    }
    return out.toString();
  }

  private static boolean isOctal(String s, int index) {
    return index < s.length() && s.charAt(index) >= '0' && s.charAt(index) <= '7';
  }

  /** A field that cannot be accepted; the message becomes the problem's reason. */
  private static final class BadFieldException extends Exception {
    private static final long serialVersionUID = 1L;

    BadFieldException(String reason) {
      super(reason, null, false, false);
    }
  }

  private record LineResult(VolumeTableEntry entry, String reason) {
    static final LineResult SKIP = new LineResult(null, null);

    static LineResult accepted(VolumeTableEntry entry) {
      return new LineResult(entry, null);
    }

    static LineResult refused(String reason) {
      return new LineResult(null, reason);
    }

    Optional<VolumeTableEntry> report(Path file, int line, List<TableProblem> problems) {
      if (reason != null) {
        problems.add(new TableProblem(file, line, reason));
      }
      return Optional.ofNullable(entry);
    }
  }
}
