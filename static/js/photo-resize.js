// Phone photos are large (4–12 MB each); a request body may be 10 MB in all. When photos
// are chosen in <input type="file" data-resize-photos>, each image is redrawn on a canvas
// as a JPEG whose longest side is at most data-longest-side pixels, and put back into the
// input, so the form posts the smaller copies. Without JavaScript the form posts the
// originals and the server's limit and its message still apply.
(function () {
  "use strict";

  var QUALITY = 0.85;

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" });
    }
    return new Promise(function (resolve, reject) {
      var image = new Image();
      var url = URL.createObjectURL(file);
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("undecodable")); };
      image.src = url;
    });
  }

  function jpegName(name) {
    return name.replace(/\.[^.]*$/, "") + ".jpg";
  }

  // The photo as a JPEG of at most `longest` px on its longest side; a file the browser
  // cannot decode, or one no larger than that, is kept as it is (the server judges it).
  function shrink(file, longest) {
    if (!/^image\//.test(file.type)) return Promise.resolve(file);
    return decode(file).then(function (image) {
      var scale = Math.min(1, longest / Math.max(image.width, image.height));
      if (scale === 1) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], jpegName(file.name), { type: "image/jpeg" }) : file);
        }, "image/jpeg", QUALITY);
      });
    }, function () { return file; });
  }

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-resize-photos]")) return;
    if (!input.files.length || !window.DataTransfer) return;
    var longest = parseInt(input.getAttribute("data-longest-side"), 10) || 2048;
    var form = input.form;
    var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
    var status = document.getElementById(input.getAttribute("data-status"));
    buttons.forEach(function (button) { button.disabled = true; });
    if (status) status.textContent = "Preparing photos…";

    Promise.all(Array.prototype.map.call(input.files, function (file) {
      return shrink(file, longest);
    })).then(function (files) {
      var transfer = new DataTransfer();
      var total = 0;
      files.forEach(function (file) { transfer.items.add(file); total += file.size; });
      input.files = transfer.files;
      if (status) {
        status.textContent = files.length + (files.length === 1 ? " photo" : " photos") +
          " ready to send (" + megabytes(total) + ").";
      }
      input.setAttribute("data-resized", String(files.length));
    }).finally(function () {
      buttons.forEach(function (button) { button.disabled = false; });
    });
  });
})();
