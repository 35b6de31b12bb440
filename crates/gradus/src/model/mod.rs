//! Score functions: the layered network `x → h₁ → … → h_L → s`.
//!
//! Layer `l` computes `z = a W_lᵀ + b_l` over a batch (rows of `a`), followed by the activation
//! on every layer but the last. With no hidden layers this is the linear score function
//! `s = W x + b`: the linear model is the zero-hidden-layer [`Network`], not a second copy.
//!
//! Weights are stored `[out × in]` row-major, as `torch.nn.Linear`, under PyTorch's names
//! (`layers.0.weight`, `layers.0.bias`, …), in one flat buffer (see [`ParamLayout`]).

pub mod activation;
mod init;

pub use activation::Activation;
pub use init::Init;

use crate::error::{Error, Result};
use crate::linalg::{Op, matmul};
use crate::params::{ParamLayout, Role};
use crate::real::Real;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The shape of a network: hidden widths and their activation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    /// Widths of the hidden layers (empty: the linear model).
    pub hidden: Vec<usize>,
    /// The activation after each hidden layer.
    pub activation: Activation,
}

impl Architecture {
    /// The linear model `s = Wx + b`.
    pub fn linear() -> Self {
        Self {
            hidden: Vec::new(),
            activation: Activation::Relu,
        }
    }
}

impl FromStr for Architecture {
    type Err = Error;
    /// `linear` or `mlp:H1,H2,…` (activation ReLU; set [`Architecture::activation`] after).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::param(
                "model",
                format!("must be linear or mlp:H1,H2,… with positive widths, got '{s}'"),
            )
        };
        if s == "linear" {
            return Ok(Self::linear());
        }
        let widths = s.strip_prefix("mlp:").ok_or_else(bad)?;
        let hidden = widths
            .split(',')
            .map(|w| w.trim().parse::<usize>().ok().filter(|&w| w > 0 && w <= 1 << 20))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)?;
        Ok(Self {
            hidden,
            activation: Activation::Relu,
        })
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hidden.is_empty() {
            return f.write_str("linear");
        }
        let w: Vec<String> = self.hidden.iter().map(|h| h.to_string()).collect();
        write!(f, "mlp:{} ({})", w.join(","), self.activation)
    }
}

/// A fully connected network with a fixed input and output width.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    dims: Vec<usize>,
    activation: Activation,
    layout: ParamLayout,
}

/// Largest parameter count a network may have (2³¹ numbers, 8 GiB of f32).
const MAX_PARAMS: usize = 1 << 31;

impl Network {
    /// A network from `inputs` features to `outputs` scores through `arch`'s hidden layers.
    pub fn new(inputs: usize, arch: &Architecture, outputs: usize) -> Result<Self> {
        let mut dims = vec![inputs];
        dims.extend(&arch.hidden);
        dims.push(outputs);
        if dims.contains(&0) {
            return Err(Error::data(format!("layer widths must be positive, got {dims:?}")));
        }
        let mut layout = ParamLayout::new();
        let mut total = 0usize;
        for (l, w) in dims.windows(2).enumerate() {
            total = w[0]
                .checked_mul(w[1])
                .and_then(|n| n.checked_add(w[1]))
                .and_then(|n| n.checked_add(total))
                .filter(|&n| n <= MAX_PARAMS)
                .ok_or_else(|| Error::data(format!("layer widths {dims:?} give more than {MAX_PARAMS} parameters")))?;
            layout.push(format!("layers.{l}.weight"), &[w[1], w[0]], Role::Weight);
            layout.push(format!("layers.{l}.bias"), &[w[1]], Role::Bias);
        }
        Ok(Self {
            dims,
            activation: arch.activation,
            layout,
        })
    }

    /// Its architecture.
    pub fn architecture(&self) -> Architecture {
        Architecture {
            hidden: self.dims[1..self.dims.len() - 1].to_vec(),
            activation: self.activation,
        }
    }
    /// Input features.
    pub fn inputs(&self) -> usize {
        self.dims[0]
    }
    /// Output scores.
    pub fn outputs(&self) -> usize {
        self.dims[self.dims.len() - 1]
    }
    /// Layer widths, input first.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }
    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// Where each tensor lives in the flat parameter buffer.
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }
    fn layers(&self) -> usize {
        self.dims.len() - 1
    }

    /// Multiply–adds per example of one forward pass (half its FLOPs).
    pub fn macs_per_example(&self) -> usize {
        self.dims.windows(2).map(|w| w[0] * w[1]).sum()
    }

    /// Fresh parameters, seeded: He-normal weights (`N(0, 2/fan_in)`) for layers followed by
    /// ReLU or leaky ReLU, Glorot-uniform (`U(±√(6/(fan_in+fan_out)))`) for layers followed by
    /// sigmoid or tanh and for the output layer; zero biases.
    pub fn init<T: Real>(&self, seed: u64) -> Vec<T> {
        self.init_with(Init::Auto, seed)
    }

    /// Fresh parameters, seeded, drawn as `init` says ([`Init`]); zero biases.
    pub fn init_with<T: Real>(&self, init: Init, seed: u64) -> Vec<T> {
        init::initialise(self, init, seed)
    }

    /// Forward pass: fills `ws` with each layer's activations and returns the `rows × outputs`
    /// scores of the `rows × inputs` batch `x`.
    pub fn forward<'w, T: Real>(&self, params: &[T], x: &[T], rows: usize, ws: &'w mut Workspace<T>) -> &'w [T] {
        self.forward_from(params, 0, x, rows, ws)
    }

    /// The forward pass from layer `from` on (`from` < the number of layers): `input` is what
    /// layer `from` reads, `rows × dims[from]` (the features for layer 0, layer `from − 1`'s
    /// activations otherwise). Fills `ws` with the activations of layers `from…` and returns
    /// the `rows × outputs` scores; only the parameters of layers `from…` are read.
    pub fn forward_from<'w, T: Real>(
        &self,
        params: &[T],
        from: usize,
        input: &[T],
        rows: usize,
        ws: &'w mut Workspace<T>,
    ) -> &'w [T] {
        ws.ensure(self, rows);
        for l in from..self.layers() {
            let (before, after) = ws.acts.split_at_mut(l);
            let a: &[T] = if l == from { input } else { &before[l - 1] };
            let out = &mut after[0][..rows * self.dims[l + 1]];
            self.pre_activation(params, l, a, rows, out, ws.threads);
            if l + 1 < self.layers() {
                self.activation.apply(out);
            }
        }
        let last = self.layers() - 1;
        &ws.acts[last][..rows * self.outputs()]
    }

    /// Layer `l`'s pre-activations `z = a W_lᵀ + b_l` of the `rows × dims[l]` input `a`, written
    /// into the first `rows × dims[l + 1]` numbers of `out`, the product on `threads` threads.
    pub fn pre_activation<T: Real>(&self, params: &[T], l: usize, a: &[T], rows: usize, out: &mut [T], threads: usize) {
        let (din, dout) = (self.dims[l], self.dims[l + 1]);
        let (w, b) = self.weight_bias(params, l);
        let out = &mut out[..rows * dout];
        for row in out.chunks_exact_mut(dout) {
            row.copy_from_slice(b);
        }
        matmul(rows, dout, din, a, Op::N, w, Op::T, out, T::one(), threads);
    }

    /// Backward pass after [`forward`](Self::forward) on the same `x`: from `ws.dscores`
    /// (∂L/∂s, `rows × outputs`) computes ∂L/∂W_l = δ_lᵀ a_l and ∂L/∂b_l = Σ_rows δ_l into
    /// `grads`, propagating δ_{l−1} = (δ_l W_l) ⊙ f′(a_l). With `accumulate`, adds to `grads`
    /// instead of overwriting it.
    pub fn backward<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        rows: usize,
        ws: &mut Workspace<T>,
        grads: &mut [T],
        accumulate: bool,
    ) {
        let beta = if accumulate { T::one() } else { T::zero() };
        let out = self.outputs();
        ws.delta[..rows * out].copy_from_slice(&ws.dscores[..rows * out]);
        for l in (0..self.layers()).rev() {
            let (din, dout) = (self.dims[l], self.dims[l + 1]);
            let wr = self.layout.segments()[2 * l].range();
            let br = self.layout.segments()[2 * l + 1].range();
            let input: &[T] = if l == 0 { x } else { &ws.acts[l - 1][..rows * din] };
            let delta = &ws.delta[..rows * dout];
            matmul(
                dout,
                din,
                rows,
                delta,
                Op::T,
                input,
                Op::N,
                &mut grads[wr.clone()],
                beta,
                ws.threads,
            );
            let gb = &mut grads[br];
            if !accumulate {
                gb.fill(T::zero());
            }
            for row in delta.chunks_exact(dout) {
                for (g, &d) in gb.iter_mut().zip(row) {
                    *g += d;
                }
            }
            if l > 0 {
                let prev = &mut ws.delta_prev[..rows * din];
                matmul(
                    rows,
                    din,
                    dout,
                    delta,
                    Op::N,
                    &params[wr],
                    Op::N,
                    prev,
                    T::zero(),
                    ws.threads,
                );
                self.activation.backprop(&ws.acts[l - 1][..rows * din], prev);
                std::mem::swap(&mut ws.delta, &mut ws.delta_prev);
            }
        }
    }

    fn weight_bias<'p, T>(&self, params: &'p [T], l: usize) -> (&'p [T], &'p [T]) {
        let segs = self.layout.segments();
        (&params[segs[2 * l].range()], &params[segs[2 * l + 1].range()])
    }
}

/// Scratch space for forward and backward passes, grown to the largest batch seen and reused:
/// nothing is allocated in the training loop once it has seen its first batch.
#[derive(Clone, Debug)]
pub struct Workspace<T> {
    /// Output of each layer (post-activation for hidden layers; the scores last).
    acts: Vec<Vec<T>>,
    /// ∂L/∂scores, `rows × outputs`, filled by the loss.
    pub dscores: Vec<T>,
    delta: Vec<T>,
    delta_prev: Vec<T>,
    /// Threads for the matrix products.
    pub threads: usize,
}

impl<T: Real> Workspace<T> {
    /// Empty scratch space using `threads` threads for matrix products.
    pub fn new(threads: usize) -> Self {
        Self {
            acts: Vec::new(),
            dscores: Vec::new(),
            delta: Vec::new(),
            delta_prev: Vec::new(),
            threads: threads.max(1),
        }
    }

    fn ensure(&mut self, net: &Network, rows: usize) {
        let layers = net.layers();
        self.acts.resize_with(layers, Vec::new);
        for (a, &d) in self.acts.iter_mut().zip(&net.dims[1..]) {
            if a.len() < rows * d {
                a.resize(rows * d, T::zero());
            }
        }
        let widest = net.dims.iter().copied().max().unwrap_or(1);
        for buf in [&mut self.delta, &mut self.delta_prev] {
            if buf.len() < rows * widest {
                buf.resize(rows * widest, T::zero());
            }
        }
        if self.dscores.len() < rows * net.outputs() {
            self.dscores.resize(rows * net.outputs(), T::zero());
        }
    }

    /// The scores of the last forward pass and the ∂L/∂scores buffer to fill, both
    /// `rows × outputs`.
    pub fn scores_and_dscores(&mut self, net: &Network, rows: usize) -> (&[T], &mut [T]) {
        let n = rows * net.outputs();
        let last = self.acts.len() - 1;
        (&self.acts[last][..n], &mut self.dscores[..n])
    }

    /// Each layer's outputs from the last forward pass (post-activation for hidden layers,
    /// the scores last), each buffer `≥ rows × width`: the gradient checker reads ReLU patterns.
    pub(crate) fn activations(&self) -> &[Vec<T>] {
        &self.acts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_forward_is_wx_plus_b() {
        let net = Network::new(3, &Architecture::linear(), 2).unwrap();
        assert_eq!(net.layout().len(), 8);
        let params = vec![1.0, 2.0, 3.0, -1.0, 0.0, 1.0, 0.5, -0.5f64];
        let mut ws = Workspace::new(1);
        let s = net
            .forward(&params, &[1.0, 1.0, 1.0, 2.0, 0.0, -1.0], 2, &mut ws)
            .to_vec();
        assert_eq!(s, vec![6.5, -0.5, -0.5, -3.5]);
    }

    /// The forward pass from layer 1, given layer 0's pre-activations through the activation,
    /// is the whole forward pass.
    #[test]
    fn forward_from_a_later_layer_continues_the_forward_pass() {
        let net = Network::new(5, &"mlp:4,3".parse().unwrap(), 2).unwrap();
        let params: Vec<f64> = net.init(7);
        let x: Vec<f64> = (0..15).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut ws = Workspace::new(1);
        let whole = net.forward(&params, &x, 3, &mut ws).to_vec();
        let mut h = vec![0.0; 3 * 4];
        net.pre_activation(&params, 0, &x, 3, &mut h, 1);
        net.activation().apply(&mut h);
        assert_eq!(net.forward_from(&params, 1, &h, 3, &mut Workspace::new(1)), &whole[..]);
        assert_ne!(whole, vec![0.0; 6]);
    }

    #[test]
    fn architecture_parses_and_rejects() {
        let a: Architecture = "mlp:256,128".parse().unwrap();
        assert_eq!(a.hidden, vec![256, 128]);
        assert_eq!(a.to_string(), "mlp:256,128 (relu)");
        for bad in ["mlp:", "mlp:0", "mlp:12,x", "conv"] {
            let e = bad.parse::<Architecture>().unwrap_err().to_string();
            assert!(e.contains(&format!("got '{bad}'")), "{e}");
        }
        assert!(Network::new(1 << 20, &"mlp:1048576,1048576".parse().unwrap(), 10).is_err());
    }

    #[test]
    fn layout_uses_pytorch_names_and_shapes() {
        let net = Network::new(784, &"mlp:256,128".parse().unwrap(), 10).unwrap();
        let names: Vec<_> = net
            .layout()
            .segments()
            .iter()
            .map(|s| (s.name.as_str(), s.shape.clone()))
            .collect();
        assert_eq!(names[0], ("layers.0.weight", vec![256, 784]));
        assert_eq!(names[5], ("layers.2.bias", vec![10]));
        assert_eq!(net.macs_per_example(), 784 * 256 + 256 * 128 + 128 * 10);
    }
}
