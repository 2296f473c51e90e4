"""Networks: MLP and convolutional autoencoders and classifiers over flat rows.

Every network takes and returns flat rows of ``n_features`` values, so the
estimators, the training loop and the losses never care whether a row is a
table row or an image; a conv encoder views rows as ``input_shape`` in its
first layer and a conv decoder flattens its output.

Networks are built with ``build`` on the
``meta`` device and initialised from a local ``torch.Generator``, so that
building one never reads or advances torch's global random state.
"""

from .autoencoders import ConvAutoencoder, MLPAutoencoder, autoencoder
from .classifiers import Classifier, Ensemble
from .gan import ClassifierWithGAN, RowGAN
from .heads import HEADS, LogitBound, MaxMahalanobisHead, bounded_logit, max_mahalanobis_centres, with_head
from .init import build, init_parameters
from .layers import mlp
from .resnet import ResNetClassifier
from .vae import ClassVAEs, DensityRatio, VariationalAutoencoder

__all__ = ["ClassVAEs", "Classifier", "ClassifierWithGAN", "ConvAutoencoder", "DensityRatio", "Ensemble", "HEADS", "LogitBound", "MLPAutoencoder", "MaxMahalanobisHead", "ResNetClassifier", "RowGAN", "VariationalAutoencoder",
           "autoencoder", "bounded_logit", "build", "init_parameters", "max_mahalanobis_centres", "mlp", "with_head"]
