//! Column choices: selection, categories, missing values, reading another file the same way,
//! and the errors of contradictory options.

use super::*;

/// Writes `content` to a temporary CSV file and loads it with `opts`.
fn read(content: &str, opts: &CsvOptions) -> Result<Dataset> {
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::io::Write::write_all(&mut file, content.as_bytes()).unwrap();
    let path = file.into_temp_path();
    load(&path, opts).map_err(|e| match e {
        // The message without the temporary file's path.
        Error::Format { msg, .. } => Error::data(msg),
        e => e,
    })
}

fn regress() -> CsvOptions {
    CsvOptions {
        task: Task::Regress,
        label: LabelColumn::Name("temp".into()),
        ..CsvOptions::default()
    }
}

fn names(refs: &str) -> Vec<ColumnRef> {
    ColumnRef::list(refs)
}

const CITIES: &str = "city,lat,temp,id\nAnnArbor,42,33,a\nWashington,39,38,b\nAustin,30,62,c\nAnnArbor,41,35,d\n";

fn x(d: &Dataset) -> Vec<f32> {
    match d.features() {
        Features::F32(v) => v.to_vec(),
        _ => panic!("f32 features expected"),
    }
}

#[test]
fn features_are_chosen_and_ordered_by_name_or_index() {
    let opts = CsvOptions {
        features: Some(names("lat")),
        ..regress()
    };
    let d = read(CITIES, &opts).unwrap();
    assert_eq!(x(&d), vec![42.0, 39.0, 30.0, 41.0]);
    let c = d.columns().unwrap();
    assert_eq!(c.unused, vec!["city".to_string(), "id".into()]);
    assert_eq!((c.header, c.width, c.label.as_deref()), (true, 4, Some("temp")));
    let opts = CsvOptions {
        ignore: names("0,id"),
        ..regress()
    };
    assert_eq!(x(&read(CITIES, &opts).unwrap()), vec![42.0, 39.0, 30.0, 41.0]);
}

#[test]
fn categorical_columns_hold_category_indices_in_first_seen_order() {
    let opts = CsvOptions {
        ignore: names("id"),
        categorical: Categorical::Columns(names("city")),
        ..regress()
    };
    let d = read(CITIES, &opts).unwrap();
    assert_eq!(x(&d), vec![0.0, 42.0, 1.0, 39.0, 2.0, 30.0, 0.0, 41.0]);
    let levels = d.columns().unwrap().features[0].levels.clone().unwrap();
    assert_eq!(levels, ["AnnArbor", "Washington", "Austin"]);
    // Named categorical columns take numbers as category names: 3 and 3.0 are two categories.
    let opts = CsvOptions {
        categorical: Categorical::Columns(names("0")),
        ..CsvOptions::default()
    };
    let d = read("3,1,0\n3.0,2,1\n3,3,0\n", &opts).unwrap();
    assert_eq!(x(&d), vec![0.0, 1.0, 1.0, 2.0, 0.0, 3.0]);
}

#[test]
fn auto_takes_columns_whose_first_row_holds_text() {
    let opts = CsvOptions {
        categorical: Categorical::Auto,
        ..regress()
    };
    let d = read(CITIES, &opts).unwrap();
    let c = d.columns().unwrap();
    let kinds: Vec<bool> = c.features.iter().map(|f| f.levels.is_some()).collect();
    assert_eq!(kinds, [true, false, true]);
    // More distinct values than auto takes.
    let mut many = String::from("name,x,y\n");
    for i in 0..=AUTO_MAX_LEVELS {
        many.push_str(&format!("n{i},{i},1\n"));
    }
    let e = read(
        &many,
        &CsvOptions {
            categorical: Categorical::Auto,
            ..CsvOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("column 'name' has 51 distinct values, too many for --categorical auto (at most 50)"),
        "{e}"
    );
}

#[test]
fn missing_values_are_nan_only_when_allowed() {
    let text = "a,b,y\n1,,0\nNA,x,1\nnan,NA,0\n4,x,1\n";
    let opts = CsvOptions {
        categorical: Categorical::Columns(names("b")),
        missing: true,
        ..CsvOptions::default()
    };
    let v = x(&read(text, &opts).unwrap());
    let shown: Vec<String> = v.iter().map(|f| f.to_string()).collect();
    assert_eq!(shown, ["1", "NaN", "NaN", "0", "NaN", "NaN", "4", "0"]);
    let strict = CsvOptions { missing: false, ..opts };
    assert_eq!(
        read(text, &strict).unwrap_err().to_string(),
        "line 2, column 'b': empty field (fill missing values with --impute mean|median|zero)"
    );
}

#[test]
fn another_file_is_read_with_the_same_columns() {
    let opts = CsvOptions {
        ignore: names("id"),
        categorical: Categorical::Columns(names("city")),
        ..regress()
    };
    let train = read(CITIES, &opts).unwrap();
    let again = train.columns().unwrap().reading(&regress());
    // Columns in another order, one more, and a category of its own.
    let other = read("extra,temp,lat,city\n1,67,19,Mexico\n2,83,9,Austin\n", &again).unwrap();
    assert_eq!(x(&other), vec![0.0, 19.0, 1.0, 9.0]);
    let c = other.columns().unwrap();
    assert_eq!(
        c.features[0].levels.as_deref(),
        Some(&["Mexico".to_string(), "Austin".into()][..])
    );
    assert_eq!(c.unused, vec!["extra".to_string()]);
    // A file that lacks a feature column.
    assert_eq!(
        read("temp,city\n67,Mexico\n", &again).unwrap_err().to_string(),
        "no column named 'lat' (a feature); the columns are 'temp', 'city'"
    );
    // Without its label column: an error, unless labels are optional (to predict on).
    assert!(read("city,lat\nMexico,19\n", &again).is_err());
    let unlabelled = CsvOptions {
        label_optional: true,
        ..again
    };
    let d = read("city,lat\nMexico,19\n", &unlabelled).unwrap();
    assert_eq!((d.len(), d.columns().unwrap().label.clone()), (1, None));
}

#[test]
fn files_without_a_header_are_read_by_position_at_the_same_width() {
    let opts = CsvOptions {
        header: Header::No,
        ignore: names("1"),
        task: Task::Regress,
        ..CsvOptions::default()
    };
    let train = read("1,9,10\n2,9,20\n", &opts).unwrap();
    let again = train.columns().unwrap().reading(&opts);
    assert_eq!(x(&read("5,0,1\n", &again).unwrap()), vec![5.0]);
    assert_eq!(
        read("5,0,1,7\n", &again).unwrap_err().to_string(),
        "line 1 has 4 fields, but the model's data had 3 (a file without a header is read by column position)"
    );
    let unlabelled = CsvOptions {
        label_optional: true,
        ..again
    };
    let d = read("5,0\n", &unlabelled).unwrap();
    assert_eq!((x(&d), d.columns().unwrap().label.clone()), (vec![5.0], None));
}

#[test]
fn contradictory_column_options_are_one_line_errors_naming_the_column() {
    let cases = [
        (
            CsvOptions {
                features: Some(names("lat,height")),
                ..regress()
            },
            "no column named 'height' (a feature); the columns are 'city', 'lat', 'temp', 'id'",
        ),
        (
            CsvOptions {
                ignore: names("town"),
                ..regress()
            },
            "no column named 'town' (to ignore); the columns are 'city', 'lat', 'temp', 'id'",
        ),
        (
            CsvOptions {
                features: Some(names("lat,city")),
                ignore: names("city"),
                ..regress()
            },
            "column 'city' is both in --features and in --ignore-columns",
        ),
        (
            CsvOptions {
                ignore: names("temp"),
                ..regress()
            },
            "the label column 'temp' cannot be ignored (--ignore-columns)",
        ),
        (
            CsvOptions {
                features: Some(names("lat,temp")),
                ..regress()
            },
            "the label column 'temp' cannot also be a feature (--features)",
        ),
        (
            CsvOptions {
                features: Some(names("lat,1")),
                ..regress()
            },
            "column 'lat' is listed twice in --features",
        ),
        (
            CsvOptions {
                ignore: names("id,city"),
                categorical: Categorical::Columns(names("city")),
                ..regress()
            },
            "column 'city' in --categorical is not a feature: it is ignored",
        ),
        (
            CsvOptions {
                features: Some(names("lat")),
                categorical: Categorical::Columns(names("id")),
                ..regress()
            },
            "column 'id' in --categorical is not a feature: it is not in --features",
        ),
        (
            CsvOptions {
                ignore: names("9"),
                ..regress()
            },
            "column 9 (to ignore) does not exist: line 1 has 4 fields",
        ),
        (
            CsvOptions {
                ignore: names("city,lat,id"),
                ..regress()
            },
            "no feature columns are left",
        ),
        (
            regress(),
            "line 2, column 'city': 'AnnArbor' is not a number (leave the column out with --ignore-columns 'city', or one-hot encode it with --categorical 'city')",
        ),
    ];
    for (opts, expected) in cases {
        assert_eq!(read(CITIES, &opts).unwrap_err().to_string(), expected);
    }
    // A column named in a file without a header.
    let opts = CsvOptions {
        header: Header::No,
        ignore: names("city"),
        ..CsvOptions::default()
    };
    assert_eq!(
        read("1,2,3\n", &opts).unwrap_err().to_string(),
        "column 'city' (to ignore) needs a header line, but the file is read without one (header no)"
    );
}
