"""Reference models of the course: AlexNet, VGG, ResNet, GoogLeNet (plus MobileNetV2 and a
small plain CNN), written from scratch, with a registry, functional equivalence, a training
library and pretrained backbones.

    import reference_models
    model = reference_models.build("resnet18", num_classes=10, in_channels=1, input_size=28)
    reference_models.list_models()
"""

from reference_models import alexnet as _alexnet  # noqa: F401  (registers the builders)
from reference_models import googlenet as _googlenet  # noqa: F401
from reference_models import mobilenet as _mobilenet  # noqa: F401
from reference_models import resnet as _resnet  # noqa: F401
from reference_models import simple_cnn as _simple_cnn  # noqa: F401
from reference_models import vgg as _vgg  # noqa: F401
from reference_models._layout import SMALL_INPUT_MAX, is_small_input
from reference_models.registry import ModelSpec, build, family_of, get_spec, list_models

__all__ = [
    "SMALL_INPUT_MAX", "ModelSpec", "build", "family_of", "get_spec", "is_small_input",
    "list_models",
]
