package org.stowage.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ```java} block of README.md and of docs/*.md compiles, against this module's test
 * class path (which holds every module but the benchmarks). The convention, also written down in
 * docs/testkit.md, "Code in the documentation":
 *
 * <ul>
 *   <li>Only fences opened with exactly {@code ```java} are compiled; any other fence ({@code
 *       ```}, {@code ```text}, {@code ```xml}...) is not.
 *   <li>A block whose first line that is not blank or a comment begins with {@code import}, {@code
 *       package}, or a class, interface, record or enum declaration (with any modifiers or
 *       annotations) is compiled as a compilation unit, on its own.
 *   <li>Any other block is compiled as the body of a method {@code void snippet() throws
 *       Exception} of a class that imports {@code java.io.*}, {@code java.net.*}, {@code
 *       java.nio.file.*}, {@code java.nio.charset.*}, {@code java.time.*}, {@code java.util.*},
 *       {@code java.util.stream.*}, {@code org.stowage.*} and every other {@code org.stowage}
 *       package found under the modules' {@code src/main/java} that is on the class path (so new
 *       packages are picked up). The block must declare every variable it uses.
 *   <li>A block that fails is reported with its file and line.
 * </ul>
 */
class DocumentationSnippetsTest {
  private static final Pattern FENCE = Pattern.compile("^\\s*```(.*)$");
  private static final Pattern UNIT_START = Pattern.compile(
      "^(import\\s|package\\s|((public|protected|private|abstract|final|sealed|non-sealed|static|strictfp)\\s+"
          + "|@[\\w.]+(\\([^)]*\\))?\\s+)*(class|interface|record|enum|@interface)\\s)");
  private static final Pattern PUBLIC_TYPE = Pattern.compile(
      "^public\\s+(?:(?:abstract|final|sealed|non-sealed|strictfp)\\s+)*(?:class|interface|record|enum)\\s+(\\w+)",
      Pattern.MULTILINE);
  private static final List<String> JDK_IMPORTS = List.of(
      "java.io", "java.net", "java.nio.file", "java.nio.charset", "java.time", "java.util", "java.util.stream");

  /** A {@code ```java} block: its file, the line of its first code line, and its text. */
  record Block(Path file, String shownName, int firstLine, String code) {
    boolean isCompilationUnit() {
      boolean inComment = false;
      for (String raw : code.split("\n", -1)) {
        String line = raw.strip();
        if (inComment) {
          int end = line.indexOf("*/");
          if (end < 0) {
            continue;
          }
          line = line.substring(end + 2).strip();
          inComment = false;
        }
        if (line.startsWith("/*")) {
          int end = line.indexOf("*/", 2);
          if (end < 0) {
            inComment = true;
            continue;
          }
          line = line.substring(end + 2).strip();
        }
        if (line.isEmpty() || line.startsWith("//")) {
          continue;
        }
        return UNIT_START.matcher(line).lookingAt();
      }
      return false;
    }
  }

  @Test
  @DisplayName("every ```java block of README.md and docs/*.md compiles")
  void everyJavaBlockCompiles() throws IOException {
    Path root = projectRoot();
    List<Path> documents = new ArrayList<>();
    documents.add(root.resolve("README.md"));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    List<String> failures = failures(root, documents);
    if (!failures.isEmpty()) {
      fail(failures.size() + " documentation code error(s); fix the docs (see the convention in this test's"
          + " javadoc):\n" + String.join("\n", failures));
    }
  }

  @Test
  @DisplayName("the check itself: a bad block is reported with its file and line; other fences are not compiled")
  void reportsFileAndLine(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Path docs = Files.createDirectories(dir.resolve("docs"));
    Path readme = Files.writeString(dir.resolve("README.md"), String.join("\n",
        "# Title",
        "```java",
        "List<String> names = new ArrayList<>();     // a method body: imports are given",
        "names.add(Location.of(\"a/b\").value());",
        "```",
        "```text",
        "this is not Java and is not compiled",
        "```",
        "```java",
        "// a comment first",
        "import java.util.List;",
        "public class Whole { List<String> names; }",
        "```",
        "```java",
        "int fine = 1;",
        "String broken = undeclared + fine;",
        "```",
        ""));
    Path other = Files.writeString(docs.resolve("other.md"), "```java\nrecord Point(int x) {}\n```\n");
    List<String> failures = failures(dir, List.of(readme, other));
    assertEquals(1, failures.size(), String.join("\n", failures));
    assertTrue(failures.get(0).startsWith("README.md:16: "), failures.get(0));
    assertTrue(failures.get(0).contains("undeclared"), failures.get(0));
  }

  /** Compiles the {@code ```java} blocks of {@code documents}; returns one line per error. */
  static List<String> failures(Path root, List<Path> documents) throws IOException {
    List<Block> blocks = new ArrayList<>();
    for (Path document : documents) {
      blocks.addAll(javaBlocks(root, document));
    }
    assertFalse(blocks.isEmpty(), "no ```java block found under " + root);
    String imports = imports(projectRoot());
    int importLines = (int) imports.chars().filter(c -> c == '\n').count();

    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    assertTrue(compiler != null, "needs a JDK, not a JRE");
    List<String> failures = new ArrayList<>();
    List<Snippet> methodBodies = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      Block block = blocks.get(i);
      if (block.isCompilationUnit()) {
        Matcher type = PUBLIC_TYPE.matcher(block.code());
        String name = type.find() ? type.group(1) : "DocUnit" + i;
        compile(compiler, List.of(new Snippet(block, name, block.code(), 0)), failures);
      } else {
        String name = "DocSnippet" + i;
        String source = imports + "class " + name + " {\n  void snippet() throws Exception {\n" + block.code() + "\n  }\n}\n";
        methodBodies.add(new Snippet(block, name, source, importLines + 2));
      }
    }
    List<String> together = new ArrayList<>();
    compile(compiler, methodBodies, together);
    if (!together.isEmpty()) {
      // One block's syntax error stops javac before it checks the others: compile each alone.
      for (Snippet snippet : methodBodies) {
        compile(compiler, List.of(snippet), failures);
      }
    }
    return failures;
  }

  /** A block as a Java source: {@code offset} lines of wrapper come before its first line. */
  private static final class Snippet extends SimpleJavaFileObject {
    final Block block;
    final String source;
    final int offset;

    Snippet(Block block, String className, String source, int offset) {
      super(URI.create("string:///" + className + Kind.SOURCE.extension), Kind.SOURCE);
      this.block = block;
      this.source = source;
      this.offset = offset;
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return source;
    }
  }

  private static void compile(JavaCompiler compiler, List<Snippet> sources, List<String> failures) throws IOException {
    if (sources.isEmpty()) {
      return;
    }
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    Path out = Files.createTempDirectory("stowage-doc-snippets");
    try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      List<String> options = List.of("-classpath", classPath(), "-d", out.toString(), "-proc:none", "-Xlint:none", "-nowarn");
      compiler.getTask(null, files, diagnostics, options, null, sources).call();
    } finally {
      try (Stream<Path> walk = Files.walk(out)) {
        for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(p);
        }
      }
    }
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) {
        continue;
      }
      if (d.getSource() instanceof Snippet snippet) {
        long line = snippet.block.firstLine() + d.getLineNumber() - 1 - snippet.offset;
        failures.add(snippet.block.shownName() + ":" + line + ": " + d.getMessage(Locale.ROOT).lines().map(String::strip).collect(Collectors.joining(" ")));
      } else {
        failures.add(d.toString());
      }
    }
  }

  /** The {@code ```java} blocks of one Markdown file. */
  static List<Block> javaBlocks(Path root, Path document) throws IOException {
    List<String> lines = Files.readAllLines(document, StandardCharsets.UTF_8);
    List<Block> blocks = new ArrayList<>();
    String shown = root.relativize(document).toString().replace('\\', '/');
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = FENCE.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      String info = open.group(1).strip();
      int start = i + 1;
      int end = start;
      while (end < lines.size() && !FENCE.matcher(lines.get(end)).matches()) {
        end++;
      }
      if (info.equals("java")) {
        blocks.add(new Block(document, shown, start + 1, String.join("\n", lines.subList(start, Math.min(end, lines.size())))));
      }
      i = end;
    }
    return blocks;
  }

  /** The imports a method-body block gets: the JDK packages and every org.stowage package on the class path. */
  private static String imports(Path root) throws IOException {
    TreeSet<String> packages = new TreeSet<>(JDK_IMPORTS);
    try (Stream<Path> modules = Files.list(root)) {
      for (Path sources : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).collect(Collectors.toList())) {
        try (Stream<Path> walk = Files.walk(sources)) {
          walk.filter(p -> p.toString().endsWith(".java"))
              .map(p -> sources.relativize(p.getParent()).toString().replace(java.io.File.separatorChar, '.'))
              .filter(p -> p.startsWith("org.stowage"))
              .filter(p -> DocumentationSnippetsTest.class.getClassLoader().getResource(p.replace('.', '/')) != null)
              .forEach(packages::add);
        }
      }
    }
    return packages.stream().map(p -> "import " + p + ".*;\n").collect(Collectors.joining());
  }

  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }

  private static Path projectRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("docs")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the project root (README.md, docs/) above " + Path.of("").toAbsolutePath());
  }
}
