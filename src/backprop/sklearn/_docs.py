"""The estimators' shared docstring text: scikit-learn's parameters, then backprop's extras."""

PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(100,)
        Widths of the hidden layers; ``()`` gives a linear model.
    activation : {{"identity", "logistic", "tanh", "relu"}}, default="relu"
        Activation of the hidden layers. Beyond scikit-learn: any name of backprop's
        registry (``"gelu"``, ``"silu"``, ``"elu"``, ``"leaky_relu"``, ``"softplus"``,
        ``"step"``), a module such as ``nn.LeakyReLU(0.2)``, or a list with one per layer.
    solver : {{"adam", "sgd"}}, default="adam"
        ``"adam"``: backprop's (PyTorch's) Adam with ``beta_1``, ``beta_2``, ``epsilon``.
        It differs from scikit-learn's only in where ε sits (PyTorch: √v̂ + ε; scikit-learn:
        √v + ε, i.e. ε·√(1 − β₂ᵗ) on PyTorch's scale) — invisible unless gradients are ~ε.
        ``"sgd"``: SGD with ``momentum`` and ``nesterovs_momentum``, step for step
        scikit-learn's (also across learning-rate changes). ``"lbfgs"`` is not implemented
        and says so (an ``OutOfScopeError``, a NotImplementedError).
    alpha : float, default=0.0001
        L2 penalty as scikit-learn's: ``alpha/2·Σ‖W‖²/m`` added to each batch's loss
        (weights only; m the batch's own rows, a last partial batch too), i.e.
        ``alpha/m·W`` added to the weights' gradient before the step. The engines compute
        it themselves (``fit(penalty=("alpha", alpha))``), the compiled one included, so the
        epoch losses they report are ``loss_curve_``'s. With ``sample_weight`` the term is
        in the loss, divided by the batch's Σw, exactly as scikit-learn's.
    batch_size : int, "auto" or None, default="auto"
        Rows per step; "auto" is ``min(200, n_samples)``; None (backprop) the full batch.
    learning_rate : {{"constant", "invscaling", "adaptive"}}, default="constant"
        The schedule of ``solver="sgd"`` (ignored by adam, as scikit-learn's): invscaling
        sets lr = learning_rate_init / (t_ + 1)^power_t after each epoch; adaptive divides
        lr by 5 where training would stop for lack of improvement, until lr <= 1e-6.
    learning_rate_init : float, default=0.001
        The optimizer's initial ``lr``.
    power_t : float, default=0.5
        The exponent of ``invscaling``.
    max_iter : int, default=200
        Epochs (passes over the data) per ``fit``.
    shuffle : bool, default=True
        Reshuffle the rows every epoch (backprop's own seeded permutation: same data, other
        row order than scikit-learn's, so results agree in distribution, not bit for bit).
    random_state : int, RandomState or None, default=None
        Initial weights (scikit-learn's Glorot-uniform draws, from the same stream, so a
        seeded estimator starts from scikit-learn's weights), validation split, shuffles.
    tol : float, default=1e-4
    n_iter_no_change : int, default=10
        Stop when for more than ``n_iter_no_change`` epochs in a row the training loss has
        not fallen below ``best_loss_ - tol`` (or, with ``early_stopping``, the validation
        score has not risen above ``best_validation_score_ + tol``).
    verbose : bool or int, default=False
        Print the loss of each epoch (and the validation score), as scikit-learn's.
    warm_start : bool, default=False
        The next ``fit`` starts from the current weights (with a new optimizer, as
        scikit-learn's: Adam's moments and the learning rate start again);
        ``partial_fit`` keeps the optimizer's state.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
        SGD's momentum (``solver="sgd"`` only).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified for two classes; the same
        rows as scikit-learn's for the same ``random_state``), stop on
        the validation *score* (accuracy, r²) and keep the weights of its best epoch.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's (``solver="adam"`` only).
    max_fun : int, default=15000
        Accepted and checked; only scikit-learn's lbfgs uses it.

    Beyond scikit-learn (keyword arguments):

    loss : str, default=None
        A loss of ``backprop.nn.losses`` by name ({losses}); None means {default}.
    loss_options : dict, default=None
        Keyword options of the loss module (``{{"delta": 0.5}}`` for Huber, ...).
    optimizer : str, default=None
        A ``backprop.optim.OPTIMIZERS`` name (sgd, adam, adamw, rmsprop, adagrad) that
        replaces ``solver``, with PyTorch's defaults and ``optimizer_options``.
    optimizer_options : dict, default=None
        Further optimizer options (``{{"betas": (0.9, 0.99)}}``).
    l1, l2 : float, default=0.0
        An extra penalty ``l1·Σ|W| + ½·l2·Σ‖W‖²`` on the weights, added to the gradient
        each step (not divided by the rows; slower: it needs each batch).
    dtype : {{"float32", "float64"}}, default="float32"
        The model's dtype. float32 is the default because it reaches the same held-out
        scores as float64, never slower and in half the memory: on digits 1.3–1.6×
        float64's speed and 1.7–2.0× scikit-learn's, on a 20-feature regression about
        float64's and 1.2–1.5× scikit-learn's (two runs of
        ``python -m benchmarks.sklearn_estimators``). Predictions come back as float64.
        Ask for float64 to compare with scikit-learn's numbers to rounding.
{extra}
    Attributes
    ----------
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (n[i], n[i+1]) (the lecture's W[i+1] = ``weight.T``): views
        of the model's weights, in the model's dtype.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape (n[i+1],).
    loss_ : float
        The last epoch's loss, scikit-learn's: {loss_words}, plus ``alpha/2·Σ‖W‖²/m``,
        per batch (W as the batch found it), mean over the epoch's batches weighted by
        rows: computed by the engine in each batch's forward pass. Training stops as
        scikit-learn's does (``tol``, ``n_iter_no_change``), judged by the engine at each
        epoch's end, so a run without validation, sgd rate schedules or ``verbose`` goes
        uninterrupted from start to stop.
    loss_curve_ : list of float
        ``loss_`` of each epoch since the weights were last reset.
    best_loss_ : float or None
        The lowest ``loss_curve_`` value (None with ``early_stopping``, as scikit-learn's).
    validation_scores_ : list of float or None
        Validation score of each epoch with ``early_stopping``, else None.
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs run by the last ``fit`` (1 for ``partial_fit``).
    t_ : int
        Training rows seen, over all calls since the weights were last reset.
    n_layers_ : int
        Layers including input and output: ``len(hidden_layer_sizes) + 2``.
    n_outputs_ : int
    out_activation_ : str
        {out_activation}
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when ``X`` has column names
    model_ : backprop.nn.MLP
        The trained network (export it with ``backprop.interop.to_torch``/``to_onnx``).
    history_ : backprop.train.History
        The record of the last ``fit``/``partial_fit`` call (engine, stop reason).
{attributes}"""
