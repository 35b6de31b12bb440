//! `gradus report RUN_DIR`: the report page of a training run, rendered again from its data.

use crate::args::ReportArgs;
use crate::output::outln;
use anyhow::Result;

pub fn run(a: ReportArgs) -> Result<()> {
    let page = crate::report::rerender(&a.dir)?;
    outln!("{}", page.display())
}
