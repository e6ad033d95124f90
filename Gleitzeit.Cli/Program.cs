return await Gleitzeit.Cli.CliApp.RunAsync(args).ConfigureAwait(false);
