//! Compressed sparse rows (CSR), the storage of sparse data such as LIBSVM files.
//!
//! Row `i`'s non-zeros are `indices[indptr[i]..indptr[i + 1]]` (0-based feature indices, strictly
//! increasing) with the values `values[indptr[i]..indptr[i + 1]]`, as in SciPy's `csr_matrix`
//! (Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., §3.4). Memory is proportional
//! to the non-zeros: 8 bytes each plus 8 per row.

use crate::error::{Error, Result};

/// Sparse rows in CSR form, checked: `indptr` starts at 0 and never decreases, ends at the
/// number of non-zeros, and each row's indices increase strictly.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Csr {
    /// Rows from their CSR arrays.
    ///
    /// # Errors
    /// [`Error::Data`] when `indptr` is empty, does not start at 0, decreases or does not end at
    /// the number of values; when `indices` and `values` differ in length; or when a row's
    /// indices do not increase strictly.
    pub fn new(indptr: Vec<usize>, indices: Vec<u32>, values: Vec<f32>) -> Result<Self> {
        if indices.len() != values.len() {
            return Err(Error::data(format!(
                "{} sparse indices but {} values",
                indices.len(),
                values.len()
            )));
        }
        if indptr.first() != Some(&0) || indptr.last() != Some(&values.len()) || indptr.windows(2).any(|w| w[0] > w[1])
        {
            return Err(Error::data(
                "sparse row pointers must rise from 0 to the number of values",
            ));
        }
        let csr = Self {
            indptr,
            indices,
            values,
        };
        if let Some(i) = (0..csr.rows()).find(|&i| csr.row(i).0.windows(2).any(|w| w[0] >= w[1])) {
            return Err(Error::data(format!("row {i}: sparse indices do not increase strictly")));
        }
        Ok(csr)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of stored values (the non-zeros).
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Row `i`'s feature indices (0-based, increasing) and values.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// The row pointers, `rows() + 1` of them.
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Every stored feature index, row after row.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Every stored value, row after row.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The largest stored index plus one (0 without values): the fewest features the rows need.
    pub fn min_features(&self) -> usize {
        self.indices.iter().max().map_or(0, |&m| m as usize + 1)
    }

    /// Value `j` of row `i` (0 where nothing is stored).
    pub fn get(&self, i: usize, j: usize) -> f32 {
        let (idx, val) = self.row(i);
        u32::try_from(j)
            .ok()
            .and_then(|j| idx.binary_search(&j).ok())
            .map_or(0.0, |k| val[k])
    }

    /// The rows `rows`, in that order.
    pub fn subset(&self, rows: &[usize]) -> Csr {
        let nnz = rows.iter().map(|&r| self.indptr[r + 1] - self.indptr[r]).sum();
        let mut out = Csr {
            indptr: Vec::with_capacity(rows.len() + 1),
            indices: Vec::with_capacity(nnz),
            values: Vec::with_capacity(nnz),
        };
        out.indptr.push(0);
        for &r in rows {
            let (idx, val) = self.row(r);
            out.indices.extend_from_slice(idx);
            out.values.extend_from_slice(val);
            out.indptr.push(out.values.len());
        }
        out
    }

    /// The rows of `self` followed by those of `other`.
    pub fn concat(&self, other: &Csr) -> Csr {
        let base = self.nnz();
        let mut indptr = self.indptr.clone();
        indptr.extend(other.indptr[1..].iter().map(|p| p + base));
        Csr {
            indptr,
            indices: [self.indices.as_slice(), &other.indices].concat(),
            values: [self.values.as_slice(), &other.values].concat(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[[0, 2, 0], [0, 0, 0], [1, 0, 3]]`.
    fn m() -> Csr {
        Csr::new(vec![0, 1, 1, 3], vec![1, 0, 2], vec![2.0, 1.0, 3.0]).unwrap()
    }

    #[test]
    fn rows_values_subsets_and_concatenation_match_the_dense_matrix() {
        let dense = [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 3.0]];
        let a = m();
        for (i, row) in dense.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                assert_eq!(a.get(i, j), x);
            }
        }
        assert_eq!(a.get(0, 1 << 40), 0.0);
        assert_eq!((a.rows(), a.nnz(), a.min_features()), (3, 3, 3));
        let s = a.subset(&[2, 1, 2]);
        assert_eq!(s.row(0), (&[0, 2][..], &[1.0, 3.0][..]));
        assert_eq!(s.row(1), (&[][..], &[][..]));
        assert_eq!(s.indptr(), &[0, 2, 2, 4]);
        let c = a.concat(&s);
        assert_eq!(c.rows(), 6);
        for i in 0..6 {
            for j in 0..3 {
                let want = if i < 3 { a.get(i, j) } else { s.get(i - 3, j) };
                assert_eq!(c.get(i, j), want);
            }
        }
    }

    #[test]
    fn malformed_arrays_are_errors() {
        let e = |r: Result<Csr>| r.unwrap_err().to_string();
        assert_eq!(
            e(Csr::new(vec![0, 2], vec![3, 1], vec![1.0, 1.0])),
            "row 0: sparse indices do not increase strictly"
        );
        assert_eq!(
            e(Csr::new(vec![0, 1], vec![3, 1], vec![1.0])),
            "2 sparse indices but 1 values"
        );
        assert!(e(Csr::new(vec![0, 2, 1], vec![0], vec![1.0])).contains("must rise"));
        assert!(e(Csr::new(vec![], vec![], vec![])).contains("must rise"));
    }
}
