//! The `gradus` command line: train, evaluate and inspect models trained by SGD.
//!
//! Every failure, from a bad flag to a corrupt file, ends with one line on stderr
//! (`gradus: error: …`) and a non-zero exit status.

mod args;
mod commands;
mod distributed;
mod output;
mod plot;
mod progress;
mod report;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// The ids of the arguments of `subcommand` that were given on the command line.
fn given(matches: &clap::ArgMatches, subcommand: &str) -> Vec<String> {
    let (Some(m), Some(cmd)) = (
        matches.subcommand_matches(subcommand),
        args::Cli::command().find_subcommand(subcommand).cloned(),
    ) else {
        return Vec::new();
    };
    cmd.get_arguments()
        .map(|a| a.get_id().as_str())
        .filter(|id| m.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .map(str::to_string)
        .collect()
}

/// The one line that says what `e` is: the library names its parameters (`beta1`,
/// `batch_size`), and here they are flags.
fn error_line(e: &anyhow::Error) -> String {
    let msg = match e.downcast_ref::<gradus::Error>() {
        Some(gradus::Error::Param { name, msg }) => format!("{} {msg}", commands::flag(name)),
        _ => format!("{e:#}"),
    };
    msg.replace('\n', " ")
}

fn main() -> ExitCode {
    let parsed = args::Cli::command()
        .try_get_matches()
        .and_then(|m| args::Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let cli = match parsed {
        Ok((mut cli, matches)) => {
            match &mut cli.command {
                args::Command::Train(a) => a.given = given(&matches, "train"),
                args::Command::Tune(a) => a.train.given = given(&matches, "tune"),
                _ => {}
            }
            cli
        }
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // clap's first line says what is wrong; the rest (a suggested flag, the missing
            // arguments, the usage) follows it as clap writes it.
            let text = e.render().to_string();
            let mut lines = text.lines();
            let first = lines
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("gradus: error: {first}");
            for line in lines {
                eprintln!("{line}");
            }
            return ExitCode::from(2);
        }
    };
    if let Err(e) = commands::run(cli) {
        if e.is::<output::Closed>() {
            // The reader has all it wanted.
            return ExitCode::SUCCESS;
        }
        if let Some(progress::Interrupted(signal)) = e.downcast_ref() {
            return ExitCode::from((128 + signal) as u8);
        }
        eprintln!("gradus: error: {}", error_line(&e));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
