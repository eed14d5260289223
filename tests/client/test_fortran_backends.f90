! The Fortran module's set_model / set_model_from_file with the backend names "ONNX", "TF" and "TFLITE" (issue
! 19), against a real server (SSDB set by locus_run_with_server; models and numpy's expected outputs in
! LOCUS_TEST_MODELS, made by tests/models/gen_onnx_tf.py and gen_tflite.py): each model stored, run on Fortran
! arrays and compared with numpy's values; TF's names as the optional inputs/outputs arguments, and a TF model
! without them refused with the database's message. Exit status 1 on any failure.
program test_fortran_backends
  use, intrinsic :: iso_c_binding
  use locus
  use fortran_checks
  implicit none
  type(locus_client) :: c
  character(len=1024) :: dir
  character(len=:), allocatable :: blob
  ! a Fortran (2,3) array is stored as a [2,3] tensor: a(i,j) is element [i-1][j-1]
  real(c_float) :: a(2, 3), b(2, 3), s(2, 3), p(2, 3), p2(2, 2)
  logical :: ex

  call get_environment_variable('LOCUS_TEST_MODELS', dir)
  call check(len_trim(dir) > 0, 'LOCUS_TEST_MODELS set')
  call check(c%initialize() == LOCUS_OK, 'initialize')

  ! ONNX: (a, b) -> (a + b, a W)
  call read_floats(trim(dir) // '/onnx_two_in_a.bin', a)
  call read_floats(trim(dir) // '/onnx_two_in_b.bin', b)
  call check(c%put_tensor('fa', a) == LOCUS_OK, 'put a')
  call check(c%put_tensor('fb', b) == LOCUS_OK, 'put b')
  call check(c%set_model_from_file('fonnx', trim(dir) // '/onnx_two.onnx', 'ONNX', 'CPU') == LOCUS_OK, &
       'set_model_from_file ONNX')
  call check(c%model_exists('fonnx', ex) == LOCUS_OK .and. ex, 'ONNX model exists')
  call check(c%run_model('fonnx', ['fa', 'fb'], ['fs', 'fp']) == LOCUS_OK, 'run ONNX')
  call check(c%unpack_tensor('fs', s) == LOCUS_OK, 'unpack ONNX s')
  call check(c%unpack_tensor('fp', p2) == LOCUS_OK, 'unpack ONNX p')
  call check(close_to(s, trim(dir) // '/onnx_two_out_s.bin'), 'ONNX s is numpy''s')
  call check(close_to(p2, trim(dir) // '/onnx_two_out_p.bin'), 'ONNX p is numpy''s')

  ! TF from memory, with its names: (a, b) -> (sum, prod)
  call read_floats(trim(dir) // '/tf_two_in_a.bin', a)
  call read_floats(trim(dir) // '/tf_two_in_b.bin', b)
  call check(c%put_tensor('fta', a) == LOCUS_OK, 'put TF a')
  call check(c%put_tensor('ftb', b) == LOCUS_OK, 'put TF b')
  blob = file_bytes(trim(dir) // '/tf_two.pb')
  call check(c%set_model('ftf', blob, 'TF', 'CPU', inputs=['a', 'b'], outputs=['sum ', 'prod']) == LOCUS_OK, &
       'set_model TF with names')
  call check(c%run_model('ftf', ['fta', 'ftb'], ['fsum ', 'fprod']) == LOCUS_OK, 'run TF')
  call check(c%unpack_tensor('fsum', s) == LOCUS_OK, 'unpack TF sum')
  call check(c%unpack_tensor('fprod', p2) == LOCUS_OK, 'unpack TF prod')
  call check(close_to(s, trim(dir) // '/tf_two_out_sum.bin'), 'TF sum is numpy''s')
  call check(close_to(p2, trim(dir) // '/tf_two_out_prod.bin'), 'TF prod is numpy''s')
  call check(c%set_model('ftf_bad', blob, 'TF', 'CPU') == LOCUS_ERR_DATABASE, 'TF without names refused')
  call check(index(locus_last_error(), 'INPUTS not specified for TF') > 0, 'the refusal is RedisAI''s')

  ! TFLITE: (a, b) -> (relu(a + b), a * b + c)
  call read_floats(trim(dir) // '/tflite_two_in_a.bin', a)
  call read_floats(trim(dir) // '/tflite_two_in_b.bin', b)
  call check(c%put_tensor('fla', a) == LOCUS_OK, 'put TFLITE a')
  call check(c%put_tensor('flb', b) == LOCUS_OK, 'put TFLITE b')
  call check(c%set_model_from_file('ftfl', trim(dir) // '/tflite_two.tflite', 'TFLITE', 'CPU', &
       tag='fortran') == LOCUS_OK, 'set_model_from_file TFLITE')
  call check(c%run_model('ftfl', ['fla', 'flb'], ['fls', 'flp']) == LOCUS_OK, 'run TFLITE')
  call check(c%unpack_tensor('fls', s) == LOCUS_OK, 'unpack TFLITE s')
  call check(c%unpack_tensor('flp', p) == LOCUS_OK, 'unpack TFLITE p')
  call check(close_to(s, trim(dir) // '/tflite_two_out_s.bin'), 'TFLITE s is numpy''s')
  call check(close_to(p, trim(dir) // '/tflite_two_out_p.bin'), 'TFLITE p is numpy''s')
  call check(c%delete_model('ftfl') == LOCUS_OK, 'delete TFLITE model')
  call check(c%model_exists('ftfl', ex) == LOCUS_OK .and. .not. ex, 'TFLITE model gone')

  call c%destroy()
  deallocate(blob)
  call report('client_fortran_backends')

contains

  ! the array against a generated file of floats (numpy's, in C order)
  logical function close_to(v, path)
    real(c_float), intent(in) :: v(:, :)
    character(len=*), intent(in) :: path
    real(c_float), allocatable :: want(:, :)
    allocate(want(size(v, 1), size(v, 2)))
    call read_floats(path, want)
    close_to = all(abs(v - want) <= 1e-5 * (1 + abs(want)))
    if (.not. close_to) print *, 'got ', v, ' expected ', want
  end function

  ! a file of floats in C order into v(i,j) = element [i-1][j-1]
  subroutine read_floats(path, v)
    character(len=*), intent(in) :: path
    real(c_float), intent(out) :: v(:, :)
    real(c_float), allocatable :: flat(:)
    integer :: u
    allocate(flat(size(v)))
    open(newunit=u, file=path, access='stream', form='unformatted', status='old')
    read(u) flat
    close(u)
    v = transpose(reshape(flat, [size(v, 2), size(v, 1)]))
  end subroutine

end program test_fortran_backends
