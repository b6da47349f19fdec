package org.stowage.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.spi.StorageProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** What every command shares: opening stores, the output streams, the shared options. */
abstract class StoreCommand implements Callable<Integer> {
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:.*", Pattern.DOTALL);
  private static final Pattern WINDOWS_DRIVE = Pattern.compile("[A-Za-z]:[\\\\/].*", Pattern.DOTALL);

  @ParentCommand StowageCommand top;

  @Spec CommandSpec spec;

  /** Standard output, UTF-8, flushed on each line. */
  final PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Standard error. */
  final PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /**
   * Reports a failure that does not stop the command (one object of many) as one line on stderr,
   * and returns its exit code.
   */
  final int reportAndContinue(Throwable e) {
    Failures.report(spec.commandLine(), e, top.debug);
    return Failures.exitCode(e);
  }

  /** The metadata at {@code location}, or null if nothing is there. */
  static Metadata metadataOrNull(ExternalStorage storage, String location) {
    return storage.findMetadata(location).orElse(null); // no exception per miss
  }

  /** Whether a progress bar may be drawn: a terminal, no --json, no --no-progress. */
  final boolean progressAllowed(boolean json) {
    return !json && !top.noProgress && Progress.onTerminal();
  }

  /**
   * Opens the store {@code store} names: a storage URI, through {@link ExternalStorage#open}, or
   * the path of an existing directory, as a file store. The caller closes it.
   *
   * @throws Failures.UsageException if it is neither, or no backend handles the URI's scheme
   */
  final ExternalStorage open(String store) {
    if (top.profile != null) {
      System.setProperty("aws.profile", top.profile);
    }
    if (!SCHEME.matcher(store).matches() || WINDOWS_DRIVE.matcher(store).matches()) {
      return ExternalStorage.open(directory(store).toUri().toString());
    }
    try {
      return ExternalStorage.open(store);
    } catch (IllegalArgumentException e) {
      throw new Failures.UsageException(e.getMessage());
    } catch (ExternalResourceException e) {
      String scheme = store.substring(0, store.indexOf(':'));
      if (!availableSchemes().contains(scheme.toLowerCase(java.util.Locale.ROOT))) {
        throw new Failures.UsageException(e.getMessage());
      }
      throw e;
    }
  }

  private static Path directory(String store) {
    Path path;
    try {
      path = Path.of(store).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new Failures.UsageException("not a storage URI nor a path: " + e.getMessage());
    }
    if (store.isEmpty() || !Files.isDirectory(path)) {
      throw new Failures.UsageException(
          "\"" + store + "\" is not a storage URI (file:///data/store, memory:, s3://bucket/prefix)"
              + " nor an existing directory; to create a file store there, write "
              + path.toUri());
    }
    return path;
  }

  private static TreeSet<String> availableSchemes() {
    TreeSet<String> schemes = new TreeSet<>();
    ServiceLoader.load(StorageProvider.class).forEach(p -> schemes.add(p.scheme()));
    return schemes;
  }
}
