package org.stowage.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top-level {@code stowage} command: options every command shares, and the command list. */
@Command(
    name = "stowage",
    mixinStandardHelpOptions = true,
    versionProvider = StowageCommand.Version.class,
    description = {
      "Look into, check, copy and sync Stowage stores.",
      "",
      "Every command takes a storage URI, as ExternalStorage.open does: file:///data/store,"
          + " memory:, s3://bucket/prefix?region=eu-west-1 (the S3 credentials come from the"
          + " AWS SDK's default chain, or --profile; never from the command line). A path to an"
          + " existing directory works too, for a file store."
    },
    footer = {"", ExitCode.HELP},
    subcommands = {
      ListCommand.class,
      StatCommand.class,
      CatCommand.class,
      PutCommand.class,
      GetCommand.class,
      RemoveCommand.class,
      CopyCommand.class,
      MoveCommand.class,
      VerifyCommand.class,
      SyncCommand.class,
      MigrateCommand.class,
      UsageCommand.class,
      CollectCommand.class,
      AutoComplete.GenerateCompletion.class
    })
final class StowageCommand implements Runnable {

  @Option(
      names = "--debug",
      scope = ScopeType.INHERIT,
      description = "Show the stack trace of a failure, and log at DEBUG on stderr.")
  boolean debug;

  @Option(
      names = "--profile",
      scope = ScopeType.INHERIT,
      paramLabel = "NAME",
      description = "The AWS profile to take S3 credentials from (~/.aws/credentials), instead of"
          + " the default chain.")
  String profile;

  @Option(
      names = "--no-progress",
      scope = ScopeType.INHERIT,
      description = "No progress bar, even on a terminal.")
  boolean noProgress;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a command is wanted");
  }

  /** The version from the jar's manifest. */
  static final class Version implements picocli.CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = StowageCommand.class.getPackage().getImplementationVersion();
      return new String[] {"stowage " + (version == null ? "(development build)" : version)};
    }
  }
}
