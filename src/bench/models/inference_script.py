# The inference tests' TorchScript script (stored with set_script; the functions run with run_script).
# pre_process_3ch: an HWC float32 image [224, 224, 3] with values 0..255 -> the [1, 3, 224, 224] input
# ResNet-50 expects: scaled to 0..1, channels first, normalised with the ImageNet mean and deviation.
# post_process: the class index of each row of the model's [N, 1000] output.

def pre_process_3ch(image):
    mean = torch.tensor([0.485, 0.456, 0.406], device=image.device)
    std = torch.tensor([0.229, 0.224, 0.225], device=image.device)
    x = image.float().div(255.0).permute(2, 0, 1)
    x = (x - mean.view(3, 1, 1)) / std.view(3, 1, 1)
    return x.unsqueeze(0)

def post_process(output):
    return output.argmax(1)
