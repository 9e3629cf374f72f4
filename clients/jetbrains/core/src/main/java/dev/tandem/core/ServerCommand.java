package dev.tandem.core;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The command that starts the bundled server: {@code <node> <plugin>/server/tandem.js lsp
 * --stdio}. Node.js is the configured one, else the first on the PATH, else one in the places
 * version managers and installers use (an IDE started from a desktop launcher often lacks the
 * shell's PATH). It must be Node.js 20 or newer, because the server's SQLite module is built for
 * it; anything else gets an error that says what to install or configure.
 */
public record ServerCommand(List<String> command, Path node, String nodeVersion) {
  /** The oldest Node.js major the server runs on (package.json {@code engines.node}). */
  public static final int MIN_NODE_MAJOR = 20;

  private static final Pattern VERSION = Pattern.compile("^v?(\\d+)\\.(\\d+)\\.(\\d+)");

  /** Node.js or the server could not be found or used; the message says what to do. */
  public static final class SetupException extends Exception {
    private static final long serialVersionUID = 1L;

    public SetupException(String message) {
      super(message);
    }
  }

  /**
   * @param configuredNode the Node.js executable from the settings, or null/blank to look for one
   * @param serverScript the bundled {@code tandem.js}
   * @param env the environment to read PATH and HOME from
   */
  public static ServerCommand resolve(String configuredNode, Path serverScript, Map<String, String> env)
      throws SetupException {
    if (!Files.isRegularFile(serverScript)) {
      throw new SetupException(
          "The tandem server is missing at " + serverScript + ". Reinstall the tandem plugin.");
    }
    List<Path> candidates = new ArrayList<>();
    if (configuredNode != null && !configuredNode.isBlank()) {
      Path node = Path.of(configuredNode.trim());
      if (!Files.isExecutable(node)) {
        throw new SetupException(
            "Node.js is set to " + node + " in Settings | Tools | tandem, but that is not an executable file.");
      }
      candidates.add(node);
    } else {
      candidates.addAll(nodeCandidates(env));
    }
    List<String> rejected = new ArrayList<>();
    for (Path node : candidates) {
      String version = version(node);
      if (version == null) {
        rejected.add(node + " (does not run)");
        continue;
      }
      Matcher m = VERSION.matcher(version);
      if (!m.find() || Integer.parseInt(m.group(1)) < MIN_NODE_MAJOR) {
        rejected.add(node + " (" + version + ")");
        continue;
      }
      List<String> command = List.of(node.toString(), serverScript.toString(), "lsp", "--stdio");
      return new ServerCommand(command, node, version);
    }
    String tried = rejected.isEmpty() ? "none was found on the PATH" : "found only " + String.join(", ", rejected);
    throw new SetupException(
        "tandem needs Node.js "
            + MIN_NODE_MAJOR
            + " or newer ("
            + tried
            + "). Install it, or set its path in Settings | Tools | tandem.");
  }

  /**
   * The server bundled with the plugin: {@code <plugin>/server/tandem.js}, where {@code <plugin>}
   * holds {@code lib/} with the jar {@code anchor} was loaded from. Found from the class file's
   * URL, which every class loader gives (an IDE's plugin loader leaves the code source empty).
   */
  public static Path bundledServer(Class<?> anchor) throws SetupException {
    URL classFile = anchor.getResource(anchor.getSimpleName() + ".class");
    Path plugin = classFile == null ? null : pluginRoot(classFile);
    if (plugin == null) {
      throw new SetupException("The tandem plugin's folder cannot be found from " + classFile + ". Reinstall the plugin.");
    }
    return plugin.resolve("server").resolve("tandem.js");
  }

  /**
   * {@code <plugin>} for a class file inside {@code <plugin>/lib/<name>.jar}, given as {@code
   * jar:file:<plugin>/lib/<name>.jar!/<class path>}; null for any other kind of URL.
   */
  static Path pluginRoot(URL classFile) {
    if (!"jar".equals(classFile.getProtocol())) return null;
    String spec = classFile.getPath();
    int bang = spec.indexOf("!/");
    if (bang < 0) return null;
    try {
      Path jar = Path.of(new URI(spec.substring(0, bang)));
      Path lib = jar.getParent();
      return lib == null ? null : lib.getParent();
    } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      return null;
    }
  }

  /** Every {@code node} on the PATH, then in the usual install places, without duplicates. */
  static List<Path> nodeCandidates(Map<String, String> env) {
    boolean windows = System.getProperty("os.name", "").toLowerCase().startsWith("windows");
    String exe = windows ? "node.exe" : "node";
    Set<Path> found = new LinkedHashSet<>();
    String path = env.getOrDefault("PATH", env.getOrDefault("Path", ""));
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isBlank()) found.add(Path.of(dir, exe));
    }
    String home = env.get("HOME");
    List<Path> usual = new ArrayList<>(List.of(Path.of("/usr/local/bin", exe), Path.of("/opt/homebrew/bin", exe), Path.of("/usr/bin", exe)));
    if (home != null) {
      usual.add(Path.of(home, ".volta", "bin", exe));
      usual.addAll(newestFirst(Path.of(home, ".nvm", "versions", "node"), "bin/" + exe));
      usual.addAll(newestFirst(Path.of(home, ".local", "share", "fnm", "node-versions"), "installation/bin/" + exe));
    }
    found.addAll(usual);
    List<Path> existing = new ArrayList<>();
    for (Path p : found) if (Files.isRegularFile(p) && Files.isExecutable(p)) existing.add(p);
    return existing;
  }

  /** {@code <versions>/<v>/<executable>} for each installed version, newest first. */
  private static List<Path> newestFirst(Path versions, String executable) {
    if (!Files.isDirectory(versions)) return List.of();
    try (Stream<Path> dirs = Files.list(versions)) {
      return dirs.sorted(Comparator.comparing(ServerCommand::versionKey).reversed())
          .map(d -> d.resolve(executable))
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static long versionKey(Path dir) {
    Matcher m = VERSION.matcher(dir.getFileName().toString());
    if (!m.find()) return -1;
    return Long.parseLong(m.group(1)) * 1_000_000L + Long.parseLong(m.group(2)) * 1_000L + Long.parseLong(m.group(3));
  }

  /** What {@code node --version} prints, or null when it does not run within 10 seconds. */
  static String version(Path node) {
    try {
      Process p = new ProcessBuilder(node.toString(), "--version").redirectErrorStream(true).start();
      p.getOutputStream().close();
      try (InputStream out = p.getInputStream()) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return null;
        }
        String text = new String(out.readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.exitValue() == 0 && !text.isEmpty() ? text.lines().findFirst().orElse(text) : null;
      }
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
