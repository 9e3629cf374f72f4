package dev.tandem.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node.js lookup against fake {@code node} executables that print a version. */
class ServerCommandTest {
  @TempDir Path dir;

  private Path fakeNode(String subdir, String version) throws IOException {
    Path bin = Files.createDirectories(dir.resolve(subdir));
    Path node = bin.resolve("node");
    Files.writeString(node, "#!/bin/sh\necho " + version + "\n");
    Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwxr-xr-x"));
    return node;
  }

  private Path server() throws IOException {
    Path script = dir.resolve("server/tandem.js");
    Files.createDirectories(script.getParent());
    Files.writeString(script, "// server");
    return script;
  }

  @Test
  void takesTheFirstNode20OrNewerOnThePath() throws Exception {
    Path old = fakeNode("old", "v18.19.0");
    Path good = fakeNode("good", "v20.20.2");
    fakeNode("newer", "v22.1.0");
    Map<String, String> env = Map.of("PATH", old.getParent() + ":" + good.getParent() + ":" + dir.resolve("newer"), "HOME", dir.toString());
    ServerCommand c = ServerCommand.resolve(null, server(), env);
    assertEquals(List.of(good.toString(), server().toString(), "lsp", "--stdio"), c.command());
    assertEquals("v20.20.2", c.nodeVersion());
  }

  @Test
  void findsNodeInstalledWithNvmWhenThePathHasNone() throws Exception {
    fakeNode("home/.nvm/versions/node/v20.9.0/bin", "v20.9.0");
    Path newest = fakeNode("home/.nvm/versions/node/v22.11.0/bin", "v22.11.0");
    fakeNode("home/.nvm/versions/node/v9.0.0/bin", "v9.0.0");
    ServerCommand c = ServerCommand.resolve("", server(), Map.of("PATH", dir.resolve("empty").toString(), "HOME", dir.resolve("home").toString()));
    // /usr/bin/node (this machine's) may come first; when it does it is also new enough.
    assertTrue(c.node().equals(newest) || c.node().startsWith("/usr"), c.node().toString());
  }

  @Test
  void saysWhatToInstallWhenOnlyAnOldNodeIsFound() throws Exception {
    Path old = fakeNode("old", "v16.0.0");
    ServerCommand.SetupException e =
        assertThrows(ServerCommand.SetupException.class, () -> ServerCommand.resolve(old.toString(), server(), Map.of()));
    assertEquals(
        "tandem needs Node.js 20 or newer (found only " + old + " (v16.0.0)). Install it, or set its path in Settings | Tools | tandem.",
        e.getMessage());
  }

  @Test
  void aConfiguredPathThatIsNotExecutableIsNamed() throws Exception {
    ServerCommand.SetupException e =
        assertThrows(ServerCommand.SetupException.class, () -> ServerCommand.resolve(dir.resolve("nope").toString(), server(), Map.of()));
    assertTrue(e.getMessage().startsWith("Node.js is set to " + dir.resolve("nope")), e.getMessage());
  }

  @Test
  void aMissingServerSaysReinstall() {
    ServerCommand.SetupException e =
        assertThrows(ServerCommand.SetupException.class, () -> ServerCommand.resolve(null, dir.resolve("gone.js"), Map.of()));
    assertTrue(e.getMessage().endsWith("Reinstall the tandem plugin."), e.getMessage());
  }

  @Test
  void findsThePluginFolderFromTheJarAClassCameFrom() throws Exception {
    Path plugin = dir.resolve("plugins/tandem jetbrains");
    Path lib = Files.createDirectories(plugin.resolve("lib"));
    Path jar = lib.resolve("tandem-jetbrains.jar");
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      String name = ServerCommand.class.getName().replace('.', '/') + ".class";
      out.putNextEntry(new java.util.jar.JarEntry(name));
      try (var in = ServerCommand.class.getResourceAsStream("ServerCommand.class")) {
        in.transferTo(out);
      }
    }
    // A loader that, like an IDE's plugin loader, gives no code source: only the class file's URL.
    try (var loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null)) {
      java.net.URL url = loader.getResource(ServerCommand.class.getName().replace('.', '/') + ".class");
      assertEquals(plugin, ServerCommand.pluginRoot(url));
    }
    assertEquals(null, ServerCommand.pluginRoot(dir.toUri().toURL()), "not a jar: no plugin folder");
  }
}
