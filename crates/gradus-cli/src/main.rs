//! The `gradus` command line: train, evaluate and inspect models trained by SGD.
//!
//! Every failure, from a bad flag to a corrupt file, ends with one line on stderr
//! (`gradus: error: …`) and a non-zero exit status.

mod args;
mod commands;
mod plot;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
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
        // The library names its parameters (`beta1`, `batch_size`); here they are flags.
        let msg = match e.downcast_ref::<gradus::Error>() {
            Some(gradus::Error::Param { name, msg }) => format!("{} {msg}", commands::flag(name)),
            _ => format!("{e:#}"),
        };
        eprintln!("gradus: error: {}", msg.replace('\n', " "));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
